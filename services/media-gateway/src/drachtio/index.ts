export {
  AudioDownloadError,
  AudioResolver,
  type AudioResolverOptions,
  type AudioUse,
  TtsRenderError,
} from "./audio.js";
export {
  type AdmissionStats,
  type DrachtioConnectMode,
  DrachtioDriver,
  type DrachtioDriverOptions,
  type DrachtioListenMode,
  type FreeswitchConfig,
  TelephonyConnectError,
} from "./drachtio-driver.js";
export {
  checkDtmfCodes,
  DEFAULT_DTMF_TRANSFER_CODES,
  DtmfCodeMatcher,
  type DtmfTransferAction,
  type DtmfTransferCodes,
  InvalidDtmfCodesError,
} from "./dtmf-codes.js";
export {
  ENDPOINT_HEADER,
  EndpointGoneError,
  EndpointNotParkedError,
  EventSocketLostError,
  FreeswitchCommandError,
  type MediaEndpoint,
  PARK_EXTENSION,
  ParkedEndpoint,
  ParkedEndpoints,
} from "./parked-endpoints.js";
export {
  callerIdUri,
  contactUri,
  dtmfFromInfo,
  InvalidTrunkSourceError,
  isSafeCallerId,
  legEndForStatus,
  NoOutboundGatewayError,
  plainRtpOffer,
  type TrunkConfig,
  TrunkMatcher,
  UnsafeSipUriError,
  uriUser,
} from "./signalling.js";
