export { SignatureError, type SignatureErrorCode } from './errors.ts'
export { parseXml, MAX_XML_BYTES } from './xml.ts'
export {
  openContainer,
  assertSafePath,
  ASICE_MIMETYPE,
  DEFAULT_LIMITS,
  type OpenedContainer,
  type ContainerDocument,
  type ContainerLimits,
} from './container.ts'
