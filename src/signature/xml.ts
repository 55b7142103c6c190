/**
 * XML for signatures, parsed safely: a document with a DOCTYPE (hence any entity declaration,
 * internal or external) is refused before parsing, so entity expansion ("billion laughs") and
 * external entities (XXE) cannot happen and no file or URL is ever read; documents are bounded
 * in size. Signature containers never need a DTD.
 */
import { DOMParser, type Document } from '@xmldom/xmldom'
import { SignatureError } from './errors.ts'

export const MAX_XML_BYTES = 4 * 1024 * 1024

export function parseXml(text: string): Document {
  if (text.length > MAX_XML_BYTES)
    throw new SignatureError('XML_FORBIDDEN', 'the XML document is too large')
  if (/<!DOCTYPE|<!ENTITY/i.test(text))
    throw new SignatureError('XML_FORBIDDEN', 'XML with a DOCTYPE or entities is refused')
  const errors: string[] = []
  let document: Document
  try {
    document = new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') errors.push(message)
      },
    }).parseFromString(text, 'application/xml')
  } catch (error) {
    throw new SignatureError('XML_MALFORMED', `malformed XML: ${(error as Error).message}`)
  }
  if (errors.length > 0 || document.documentElement === null)
    throw new SignatureError('XML_MALFORMED', `malformed XML: ${errors[0] ?? 'no root element'}`)
  return document
}
