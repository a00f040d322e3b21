"""De-identification by the Basic Application Level Confidentiality Profile (PS3.15 Annex E).

Used whenever a study leaves its consultation (another institution, a teaching file).
The attribute actions of Table E.1-1 (Basic Profile column, no options) are applied as:

- the listed attributes are removed (X) or emptied (Z; Type 2 attributes stay present
  so the result is still a valid instance); Patient ID/Name get a pseudonym (D);
- rules that catch what a list can miss, anywhere in the data set including sequences:
  every person name (PN) is emptied, every date/time (DA, DT, TM) is emptied, every AE
  title, every attribute of unknown VR (UN) and every private attribute is removed, and
  so are curve (50xx) and overlay data/comments (60xx);
- every UID that is not a registered DICOM UID (transfer syntax, SOP class, coding
  scheme ...) is replaced (U) by ``2.25.`` + a keyed hash of the original, the same
  within one copy: a study stays self-consistent (its series, frames of reference and
  references between instances keep pointing at each other) and cannot be linked back.

Instances flagged Burned In Annotation = YES are refused: this profile without the Clean
Pixel Data option cannot remove text in the pixels.
"""

from __future__ import annotations

import hashlib
import hmac
import io

import pydicom
from pydicom import datadict
from pydicom.dataset import Dataset
from pydicom.uid import UID_dictionary

METHOD = "PS3.15 Annex E Basic Application Level Confidentiality Profile (CloudHospital)"

# Table E.1-1, Basic Profile: attributes emptied (Z), kept present because Type 2.
EMPTIED = """
AccessionNumber ContentCreatorName FillerOrderNumberImagingServiceRequest
PlacerOrderNumberImagingServiceRequest PatientBirthDate PatientSex ReferringPhysicianName
StudyDate StudyTime StudyID ContentDate ContentTime ContrastBolusAgent
""".split()

# Table E.1-1, Basic Profile: attributes removed (X).
REMOVED = """
AcquisitionComments AcquisitionContextSequence AcquisitionDate AcquisitionDateTime
AcquisitionDeviceProcessingDescription AcquisitionProtocolDescription AcquisitionTime
ActualHumanPerformersSequence AdditionalPatientHistory AdmissionID AdmittingDate
AdmittingDiagnosesCodeSequence AdmittingDiagnosesDescription AdmittingTime Allergies
AuthorObserverSequence BranchOfService CassetteID CommentsOnThePerformedProcedureStep
ConfidentialityConstraintOnPatientDataDescription ContentSequence ContributionDescription
CountryOfResidence CurrentPatientLocation CustodialOrganizationSequence
DataSetTrailingPadding DerivationDescription DetectorID DeviceSerialNumber
DigitalSignaturesSequence DischargeDiagnosisDescription EthnicGroup FrameComments GantryID
GeneratorID GraphicAnnotationSequence HumanPerformerName HumanPerformerOrganization
IconImageSequence IdentifyingComments ImageComments ImagePresentationComments
ImagingServiceRequestComments Impressions InstanceCreationDate InstanceCreationTime
InstitutionAddress InstitutionCodeSequence InstitutionName InstitutionalDepartmentName
InsurancePlanIdentification IntendedRecipientsOfResultsIdentificationSequence
InterpretationApproverSequence InterpretationAuthor InterpretationDiagnosisDescription
InterpretationIDIssuer InterpretationRecorder InterpretationText InterpretationTranscriber
IssuerOfAdmissionID IssuerOfPatientID IssuerOfServiceEpisodeID LastMenstrualDate
MedicalAlerts MedicalRecordLocator MilitaryRank ModifiedAttributesSequence
ModifiedImageDescription ModifyingDeviceID NameOfPhysiciansReadingStudy
NamesOfIntendedRecipientsOfResults Occupation OperatorIdentificationSequence OperatorsName
OrderCallbackPhoneNumber OrderEnteredBy OrderEntererLocation OriginalAttributesSequence
OtherPatientIDsSequence OtherPatientNames ParticipantSequence PatientAddress PatientAge
PatientBirthName PatientBirthTime PatientComments PatientInstitutionResidence
PatientInsurancePlanCodeSequence PatientMotherBirthName PatientPrimaryLanguageCodeSequence
PatientPrimaryLanguageModifierCodeSequence PatientReligiousPreference PatientSexNeutered
PatientSize PatientState PatientTelephoneNumbers PatientTransportArrangements PatientWeight
PerformedLocation PerformedProcedureStepDescription PerformedProcedureStepEndDate
PerformedProcedureStepEndTime PerformedProcedureStepID PerformedProcedureStepStartDate
PerformedProcedureStepStartTime PerformedStationAETitle
PerformedStationGeographicLocationCodeSequence PerformedStationName
PerformedStationNameCodeSequence PerformingPhysicianIdentificationSequence
PerformingPhysicianName PersonAddress PersonTelephoneNumbers PhysicianApprovingInterpretation
PhysiciansOfRecord PhysiciansOfRecordIdentificationSequence
PhysiciansReadingStudyIdentificationSequence PreMedication PregnancyStatus ProtocolName
ReasonForStudy ReasonForTheImagingServiceRequest ReferencedDigitalSignatureSequence
ReferencedPatientAliasSequence ReferencedPatientSequence
ReferencedPerformedProcedureStepSequence ReferencedStudySequence ReferringPhysicianAddress
ReferringPhysicianIdentificationSequence ReferringPhysicianTelephoneNumbers
RegionOfResidence RequestAttributesSequence RequestedContrastAgent
RequestedProcedureComments RequestedProcedureDescription RequestedProcedureID
RequestedProcedureLocation RequestingPhysician RequestingService ResponsibleOrganization
ResponsiblePerson ResponsiblePersonRole ResultsComments ResultsDistributionListSequence
ResultsIDIssuer ScheduledHumanPerformersSequence ScheduledPatientInstitutionResidence
ScheduledPerformingPhysicianIdentificationSequence ScheduledPerformingPhysicianName
ScheduledProcedureStepDescription ScheduledProcedureStepEndDate
ScheduledProcedureStepEndTime ScheduledProcedureStepLocation
ScheduledProcedureStepStartDate ScheduledProcedureStepStartTime ScheduledStationAETitle
ScheduledStationGeographicLocationCodeSequence ScheduledStationName
ScheduledStationNameCodeSequence ScheduledStudyLocation ScheduledStudyLocationAETitle
SeriesDate SeriesDescription SeriesTime ServiceEpisodeDescription ServiceEpisodeID
SmokingStatus SpecialNeeds StationName StudyComments StudyDescription StudyIDIssuer
TextComments TextString TimezoneOffsetFromUTC TopicAuthor TopicKeywords TopicSubject
TopicTitle VerifyingObserverName VerifyingOrganization VisitComments OtherPatientIDs
""".split()

DATE_TIME_VRS = {"DA", "DT", "TM"}


class CannotDeidentify(ValueError):
    pass


def _tags(keywords: list[str]) -> set[int]:
    return {tag for tag in (datadict.tag_for_keyword(k) for k in keywords) if tag is not None}


REMOVED_TAGS = _tags(REMOVED)
EMPTIED_TAGS = _tags(EMPTIED)


class UidMap:
    """Old UID → new UID, keyed by a per-copy secret so it is consistent and one-way."""

    def __init__(self, secret: bytes):
        self.secret, self.seen = secret, {}

    def __call__(self, uid: str) -> str:
        uid = str(uid)
        if uid not in self.seen:
            digest = hmac.new(self.secret, uid.encode(), hashlib.sha256).digest()
            self.seen[uid] = "2.25." + str(int.from_bytes(digest[:16], "big"))
        return self.seen[uid]


def _is_registered(uid: str) -> bool:
    return str(uid) in UID_dictionary


def _clean(ds: Dataset, uids: UidMap) -> None:
    for elem in list(ds):
        tag = elem.tag
        group = tag >> 16
        if (tag.is_private or tag in REMOVED_TAGS or 0x5000 <= group <= 0x50FF
                or (0x6000 <= group <= 0x60FF and tag & 0xFFFF in (0x3000, 0x4000))
                or elem.VR in ("AE", "UN")):
            del ds[tag]
        elif elem.VR == "SQ":
            for item in elem.value:
                _clean(item, uids)
        elif tag in EMPTIED_TAGS or elem.VR == "PN" or elem.VR in DATE_TIME_VRS:
            elem.value = None
        elif elem.VR == "UI" and elem.value:
            values = elem.value if elem.VM > 1 else [elem.value]
            mapped = [v if _is_registered(v) else uids(v) for v in values]
            elem.value = mapped if elem.VM > 1 else mapped[0]


def deidentify(ds: Dataset, uids: UidMap, pseudonym: str) -> Dataset:
    """De-identify ``ds`` in place (and its file meta) and return it."""
    if str(ds.get("BurnedInAnnotation", "")).upper() == "YES":
        raise CannotDeidentify("the image has burned-in annotation (pixel text cannot be "
                               "removed by this profile)")
    _clean(ds, uids)
    ds.PatientID = pseudonym
    ds.PatientName = pseudonym
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = METHOD
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator = "113100", "DCM"
    code.CodeMeaning = "Basic Application Confidentiality Profile"
    ds.DeidentificationMethodCodeSequence = [code]
    ds.LongitudinalTemporalInformationModified = "REMOVED"
    meta = getattr(ds, "file_meta", None)
    if meta is not None:
        for elem in list(meta):  # who sent it, and private meta, identify the source
            if elem.VR == "AE" or elem.tag in (0x00020100, 0x00020102):
                del meta[elem.tag]
        meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    return ds


def deidentify_bytes(data: bytes, uids: UidMap, pseudonym: str) -> bytes:
    ds = pydicom.dcmread(io.BytesIO(data))
    deidentify(ds, uids, pseudonym)
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()
