"""DICOMweb (PS3.18): QIDO-RS search, WADO-RS retrieve and render, STOW-RS store."""
