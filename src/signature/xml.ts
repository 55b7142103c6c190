/**
 * XML for signatures, parsed safely: a document with a DOCTYPE (hence any entity declaration,
 * internal or external) is refused before parsing, so entity expansion ("billion laughs") and
 * external entities (XXE) cannot happen and no file or URL is ever read; documents are bounded
 * in size. Signature containers never need a DTD.
 */
import { DOMParser, type Document } from '@xmldom/xmldom'
import { SignatureError } from './errors.ts'

export const MAX_XML_BYTES = 4 * 1024 * 1024
/** XAdES nests about a dozen deep and a signature has a few hundred elements. */
export const MAX_XML_DEPTH = 64
export const MAX_XML_ELEMENTS = 50_000

export function parseXml(text: string): Document {
  if (text.length > MAX_XML_BYTES)
    throw new SignatureError('XML_FORBIDDEN', 'the XML document is too large')
  if (/<!DOCTYPE|<!ENTITY/i.test(text))
    throw new SignatureError('XML_FORBIDDEN', 'XML with a DOCTYPE or entities is refused')
  assertShape(text)
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

/**
 * A linear scan before parsing: a hostile document nested hundreds of thousands deep, or with
 * millions of elements, would cost the DOM parser seconds and a gigabyte; refused here in
 * microseconds. Comments, CDATA and processing instructions are skipped; `>` inside quoted
 * attribute values is allowed.
 */
function assertShape(text: string): void {
  let depth = 0
  let elements = 0
  const refuse = (why: string): never => {
    throw new SignatureError('XML_FORBIDDEN', why)
  }
  const skipTo = (from: number, end: string) => {
    const found = text.indexOf(end, from)
    return found === -1 ? text.length : found + end.length
  }
  for (let index = text.indexOf('<'); index !== -1 && index < text.length;) {
    if (text.startsWith('<!--', index)) index = skipTo(index + 4, '-->')
    else if (text.startsWith('<![CDATA[', index)) index = skipTo(index + 9, ']]>')
    else if (text.startsWith('<?', index)) index = skipTo(index + 2, '?>')
    else if (text.startsWith('<!', index)) index = skipTo(index + 2, '>')
    else if (text.startsWith('</', index)) {
      depth--
      index = skipTo(index + 2, '>')
    } else {
      let quote = ''
      let end = index + 1
      for (; end < text.length; end++) {
        const character = text[end]
        if (quote !== '') {
          if (character === quote) quote = ''
        } else if (character === '"' || character === "'") quote = character
        else if (character === '>') break
      }
      if (text[end - 1] !== '/') depth++
      if (depth > MAX_XML_DEPTH) refuse(`XML nested deeper than ${MAX_XML_DEPTH} is refused`)
      if (++elements > MAX_XML_ELEMENTS)
        refuse(`XML with more than ${MAX_XML_ELEMENTS} elements is refused`)
      index = end + 1
    }
    index = text.indexOf('<', index)
  }
}
