"""DICOM ingest, encrypted storage, index, DICOMweb, rendering, sharing, de-identification."""
