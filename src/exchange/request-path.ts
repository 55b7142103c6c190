/**
 * The REST message protocol's request line: `/{protocol}/{INSTANCE}/{CLASS}/{MEMBER}/{SUBSYSTEM}
 * /{SERVICE}/{path}?{query}`. Every part is percent-decoded exactly once; identifiers must keep
 * to X-Road's character restrictions (no `/`, `\`, `:`, `;`, `%`, whitespace or control
 * characters, at most 255 characters); the path below the service is normalised — empty
 * segments dropped, `.` and `..` refused, an encoded `/` or `\` inside a segment refused — so
 * what access rights match is exactly what the provider receives (re-encoded segment by segment).
 */
import { ExchangeError } from './errors.ts'

export const PROTOCOL_VERSION = 'r1'

export interface ServiceId {
  readonly instance: string
  readonly memberClass: string
  readonly memberCode: string
  readonly subsystem: string
  readonly serviceCode: string
}

export interface ParsedRequestPath {
  readonly service: ServiceId
  /** Normalised and decoded, `/`-joined, starting with `/`. */
  readonly path: string
  /** The same path with each segment percent-encoded again, for the provider. */
  readonly encodedPath: string
  /** The raw query string without `?` ('' for none). */
  readonly query: string
}

/** Printable ASCII only: identifiers travel in HTTP headers (`X-Road-Client`, `-Service`). */
const PRINTABLE = /^[\x21-\x7e]+$/
const FORBIDDEN = /[/\\:;%\s\p{Cc}\p{Cf}]/u
const MAX_IDENTIFIER = 255
const MAX_PATH = 4096

/** An identifier part, decoded: allowed characters and length, not `.` or `..`. */
export function validIdentifier(part: string): boolean {
  return (
    part.length > 0 &&
    part.length <= MAX_IDENTIFIER &&
    PRINTABLE.test(part) &&
    !FORBIDDEN.test(part) &&
    part !== '.' &&
    part !== '..'
  )
}

export function formatServiceId(service: ServiceId): string {
  return `${service.instance}/${service.memberClass}/${service.memberCode}/${service.subsystem}/${service.serviceCode}`
}

export function providerSubsystemOf(service: ServiceId): string {
  return `${service.instance}/${service.memberClass}/${service.memberCode}/${service.subsystem}`
}

export function providerMemberOf(service: ServiceId): string {
  return `${service.instance}/${service.memberClass}/${service.memberCode}`
}

/** Parses a request URL (path and query, as received) of the REST protocol. */
export function parseRequestPath(url: string): ParsedRequestPath {
  const questionMark = url.indexOf('?')
  const rawPath = questionMark < 0 ? url : url.slice(0, questionMark)
  const query = questionMark < 0 ? '' : url.slice(questionMark + 1)
  if (rawPath.length > MAX_PATH)
    throw new ExchangeError('InvalidRequest', 'the request path is too long')
  const raw = rawPath.split('/')
  // ['', 'r1', INSTANCE, CLASS, MEMBER, SUBSYSTEM, SERVICE, ...path]
  if (raw[0] !== '' || raw[1] !== PROTOCOL_VERSION)
    throw new ExchangeError(
      'InvalidRequest',
      `the path must start with /${PROTOCOL_VERSION}/ (the protocol version)`,
    )
  if (raw.length < 7)
    throw new ExchangeError(
      'InvalidRequest',
      'the path must name INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE',
    )
  const ids = raw.slice(2, 7).map((part) => decodeOnce(part, 'InvalidRequest'))
  if (!ids.every(validIdentifier))
    throw new ExchangeError(
      'InvalidRequest',
      'a service identifier part is empty, too long or holds a forbidden character',
    )
  const segments: string[] = []
  for (const part of raw.slice(7)) {
    if (part === '') continue
    const decoded = decodeOnce(part, 'InvalidRequest')
    if (decoded === '.' || decoded === '..' || /[/\\]/.test(decoded) || decoded.includes('\0'))
      throw new ExchangeError(
        'InvalidRequest',
        'the path may not contain ".", ".." or encoded "/" or "\\" segments',
      )
    segments.push(decoded)
  }
  const [instance, memberClass, memberCode, subsystem, serviceCode] = ids
  return {
    service: { instance, memberClass, memberCode, subsystem, serviceCode },
    path: `/${segments.join('/')}`,
    encodedPath: `/${segments.map(encodeURIComponent).join('/')}`,
    query,
  }
}

/** A client identifier header (`INSTANCE/CLASS/MEMBER/SUBSYSTEM`), parts percent-decoded once. */
export function parseClientHeader(value: string): string {
  const parts = value.split('/').map((part) => decodeOnce(part, 'InvalidClientIdentifier'))
  if (parts.length !== 4 || !parts.every(validIdentifier))
    throw new ExchangeError(
      'InvalidClientIdentifier',
      'the client must be INSTANCE/CLASS/MEMBER/SUBSYSTEM, each part without forbidden characters',
    )
  return parts.join('/')
}

function decodeOnce(
  part: string,
  failure: 'InvalidRequest' | 'InvalidRequest' | 'InvalidClientIdentifier',
): string {
  try {
    return decodeURIComponent(part)
  } catch {
    throw new ExchangeError(failure, `"${part.slice(0, 50)}" is not valid percent-encoding`)
  }
}
