/**
 * X-Road style identifiers: a client is `INSTANCE/CLASS/MEMBER[/SUBSYSTEM]`.
 * X-Road allows most printable characters; we accept the conservative subset its identifiers
 * use in practice (letters, digits, `-`, `_`, `.`, `:`) and at most 255 characters a part, so an
 * identifier can never smuggle a path separator, whitespace or a control character; a part made
 * only of dots (`.`, `..`) is refused too, since it would mean something else inside a path.
 */
import { ValidationError } from './errors.ts'

export interface ClientId {
  readonly instance: string
  readonly memberClass: string
  readonly memberCode: string
  readonly subsystem?: string
}

const PART = /^[A-Za-z0-9._:-]{1,255}$/

export function parseClientId(value: unknown, field: string): ClientId {
  const parts = typeof value === 'string' ? value.split('/') : []
  const valid = (part: string): boolean => PART.test(part) && !/^\.+$/.test(part)
  if ((parts.length !== 3 && parts.length !== 4) || !parts.every(valid)) {
    throw new ValidationError(
      'INVALID_IDENTIFIER',
      field,
      `${field} must be INSTANCE/CLASS/MEMBER or INSTANCE/CLASS/MEMBER/SUBSYSTEM`,
    )
  }
  const [instance, memberClass, memberCode, subsystem] = parts
  return subsystem === undefined
    ? { instance, memberClass, memberCode }
    : { instance, memberClass, memberCode, subsystem }
}

export function formatClientId(id: ClientId): string {
  const member = `${id.instance}/${id.memberClass}/${id.memberCode}`
  return id.subsystem === undefined ? member : `${member}/${id.subsystem}`
}

export function memberOf(id: ClientId): string {
  return `${id.instance}/${id.memberClass}/${id.memberCode}`
}
