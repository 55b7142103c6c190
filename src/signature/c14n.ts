/**
 * XML canonicalization for XML-DSig and XAdES: Canonical XML 1.0 (W3C REC 2001), Canonical
 * XML 1.1 (2008) and Exclusive XML Canonicalization 1.0 (2002), with or without comments, of a
 * whole document or of the document subset "an element and all its descendants" — the node-set
 * of SignedInfo and of a same-document reference `#id`.
 *
 * The three differ only in namespaces and inherited `xml:` attributes:
 *   - inclusive (1.0, 1.1): an element shows every namespace in scope that its nearest output
 *     ancestor does not already show with the same value; the apex of a subset therefore shows
 *     all namespaces in scope, declared on it or above it. 1.0 also copies the `xml:*`
 *     attributes of ancestors onto the apex; 1.1 copies only `xml:lang` and `xml:space`
 *     (xml:id is not inherited, and xml:base is not fixed up here — XAdES never uses it);
 *   - exclusive: an element shows only the namespaces it visibly uses (its own prefix and its
 *     attributes' prefixes) and not already shown by an output ancestor, plus those in the
 *     InclusiveNamespaces PrefixList, treated as inclusive canonicalization would.
 *
 * Written over @xmldom/xmldom nodes and iterative (an explicit stack), so a deeply nested
 * hostile document cannot exhaust the call stack.
 */
import type { Attr, Element, Node } from '@xmldom/xmldom'
import { SignatureError } from './errors.ts'

export const C14N = {
  inclusive: 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
  inclusiveComments: 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments',
  c14n11: 'http://www.w3.org/2006/12/xml-c14n11',
  c14n11Comments: 'http://www.w3.org/2006/12/xml-c14n11#WithComments',
  exclusive: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  exclusiveComments: 'http://www.w3.org/2001/10/xml-exc-c14n#WithComments',
} as const

const XML_NS = 'http://www.w3.org/XML/1998/namespace'
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/'

type Mode = 'inclusive' | 'c14n11' | 'exclusive'

const MODES: Readonly<Record<string, { mode: Mode; comments: boolean }>> = {
  [C14N.inclusive]: { mode: 'inclusive', comments: false },
  [C14N.inclusiveComments]: { mode: 'inclusive', comments: true },
  [C14N.c14n11]: { mode: 'c14n11', comments: false },
  [C14N.c14n11Comments]: { mode: 'c14n11', comments: true },
  [C14N.exclusive]: { mode: 'exclusive', comments: false },
  [C14N.exclusiveComments]: { mode: 'exclusive', comments: true },
}

export function isC14nAlgorithm(uri: string): boolean {
  return Object.hasOwn(MODES, uri)
}

export interface C14nOptions {
  /** Exclusive C14N's InclusiveNamespaces PrefixList (`#default` for the default namespace). */
  readonly inclusivePrefixes?: readonly string[]
  /** Drop comments even for a #WithComments algorithm (a `#id` reference's node-set has none). */
  readonly omitComments?: boolean
}

/** The canonical form of a Document, or of an element and its descendants. */
export function canonicalize(node: Node, algorithm: string, options: C14nOptions = {}): string {
  const chosen = MODES[algorithm]
  if (chosen === undefined)
    throw new SignatureError('XML_C14N_UNSUPPORTED', `unsupported canonicalization ${algorithm}`)
  const settings: Settings = {
    mode: chosen.mode,
    comments: chosen.comments && options.omitComments !== true,
    inclusivePrefixes: new Set(
      (options.inclusivePrefixes ?? []).map((prefix) => (prefix === '#default' ? '' : prefix)),
    ),
  }
  if (node.nodeType === 9) return canonicalDocument(node, settings)
  if (node.nodeType !== 1) throw new TypeError('canonicalize a Document or an Element')
  const apex = node as Element
  return canonicalSubtree(apex, settings, {
    inScope: inScopeAbove(apex),
    inherited: inheritedXmlAttributes(apex, settings.mode),
  })
}

interface Settings {
  readonly mode: Mode
  readonly comments: boolean
  readonly inclusivePrefixes: ReadonlySet<string>
}

function canonicalDocument(document: Node, settings: Settings): string {
  let output = ''
  let seenRoot = false
  for (let child = document.firstChild; child !== null; child = child.nextSibling) {
    if (child.nodeType === 1) {
      output += canonicalSubtree(child as Element, settings, {
        inScope: new Map(),
        inherited: [],
      })
      seenRoot = true
    } else if (child.nodeType === 7 || (child.nodeType === 8 && settings.comments)) {
      const text =
        child.nodeType === 7 ? processingInstruction(child) : `<!--${child.nodeValue ?? ''}-->`
      output += seenRoot ? `\n${text}` : `${text}\n`
    }
  }
  return output
}

interface Apex {
  /** Namespaces in scope at the apex's parent (prefix → URI; '' is the default namespace). */
  readonly inScope: Map<string, string>
  /** `xml:*` attributes of ancestors the apex inherits (inclusive modes only). */
  readonly inherited: readonly Attr[]
}

interface Frame {
  readonly element: Element
  readonly inScope: Map<string, string>
  readonly rendered: Map<string, string>
}

function canonicalSubtree(apex: Element, settings: Settings, context: Apex): string {
  const parts: string[] = []
  // The stack holds elements to open and, as strings, end tags to write.
  const stack: (Frame | string)[] = []
  const open = (
    element: Element,
    parentScope: Map<string, string>,
    rendered: Map<string, string>,
    isApex: boolean,
  ) => {
    const inScope = new Map(parentScope)
    const own: Attr[] = []
    const attributes = element.attributes
    for (let index = 0; index < attributes.length; index++) {
      const attribute = attributes.item(index) as Attr
      if (isNamespaceDeclaration(attribute)) inScope.set(declaredPrefix(attribute), attribute.value)
      else own.push(attribute)
    }
    const namespaces = namespacesToRender(element, own, inScope, rendered, settings)
    const nowRendered = new Map(rendered)
    for (const [prefix, uri] of namespaces) nowRendered.set(prefix, uri)
    if (isApex) {
      for (const attribute of context.inherited)
        if (
          !own.some(
            (mine) => mine.namespaceURI === XML_NS && mine.localName === attribute.localName,
          )
        )
          own.push(attribute)
    }
    own.sort(compareAttributes)
    let tag = `<${element.nodeName}`
    for (const [prefix, uri] of namespaces)
      tag +=
        prefix === ''
          ? ` xmlns="${escapeAttribute(uri)}"`
          : ` xmlns:${prefix}="${escapeAttribute(uri)}"`
    for (const attribute of own)
      tag += ` ${attribute.nodeName}="${escapeAttribute(attribute.value)}"`
    parts.push(`${tag}>`)
    stack.push(`</${element.nodeName}>`)
    const children: Node[] = []
    for (let child = element.lastChild; child !== null; child = child.previousSibling)
      children.push(child)
    for (const child of children) {
      if (child.nodeType === 1)
        stack.push({ element: child as Element, inScope, rendered: nowRendered })
      else stack.push(leafText(child, settings))
    }
  }
  open(apex, context.inScope, new Map(), true)
  while (stack.length > 0) {
    const next = stack.pop() as Frame | string
    if (typeof next === 'string') parts.push(next)
    else open(next.element, next.inScope, next.rendered, false)
  }
  return parts.join('')
}

/** A non-element child as canonical text ('' for what is not output). */
function leafText(node: Node, settings: Settings): string {
  switch (node.nodeType) {
    case 3:
    case 4:
      return escapeText(node.nodeValue ?? '')
    case 7:
      return processingInstruction(node)
    case 8:
      return settings.comments ? `<!--${node.nodeValue ?? ''}-->` : ''
    default:
      return ''
  }
}

/** The namespace declarations this element shows, sorted (default first, then by prefix). */
function namespacesToRender(
  element: Element,
  attributes: readonly Attr[],
  inScope: ReadonlyMap<string, string>,
  rendered: ReadonlyMap<string, string>,
  settings: Settings,
): [string, string][] {
  const candidates = new Set<string>()
  if (settings.mode === 'exclusive') {
    candidates.add(element.prefix ?? '')
    for (const attribute of attributes)
      if (attribute.prefix !== null && attribute.prefix !== '') candidates.add(attribute.prefix)
    for (const prefix of settings.inclusivePrefixes) if (inScope.has(prefix)) candidates.add(prefix)
  } else {
    for (const prefix of inScope.keys()) candidates.add(prefix)
    // A default namespace shown above and undeclared here must be undeclared in the output.
    if (rendered.has('')) candidates.add('')
  }
  const chosen: [string, string][] = []
  for (const prefix of candidates) {
    if (prefix === 'xml') continue
    const uri = prefix === '' ? (inScope.get('') ?? '') : inScope.get(prefix)
    if (uri === undefined) continue
    const shown = rendered.get(prefix)
    if (prefix === '' && uri === '') {
      if (shown !== undefined && shown !== '') chosen.push(['', ''])
      continue
    }
    if (shown !== uri) chosen.push([prefix, uri])
  }
  return chosen.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

/** Namespaces declared on the ancestors of `element` (what is in scope at its parent). */
function inScopeAbove(element: Element): Map<string, string> {
  const chain: Element[] = []
  for (
    let parent = element.parentNode;
    parent !== null && parent.nodeType === 1;
    parent = parent.parentNode
  )
    chain.unshift(parent as Element)
  const inScope = new Map<string, string>()
  for (const ancestor of chain) {
    const attributes = ancestor.attributes
    for (let index = 0; index < attributes.length; index++) {
      const attribute = attributes.item(index) as Attr
      if (isNamespaceDeclaration(attribute)) inScope.set(declaredPrefix(attribute), attribute.value)
    }
  }
  return inScope
}

/** The nearest ancestor value of each inherited `xml:*` attribute (C14N 1.0 all, 1.1 lang/space). */
function inheritedXmlAttributes(element: Element, mode: Mode): Attr[] {
  if (mode === 'exclusive') return []
  const inheritable = mode === 'inclusive' ? null : new Set(['lang', 'space'])
  const found = new Map<string, Attr>()
  for (
    let parent = element.parentNode;
    parent !== null && parent.nodeType === 1;
    parent = parent.parentNode
  ) {
    const attributes = (parent as Element).attributes
    for (let index = 0; index < attributes.length; index++) {
      const attribute = attributes.item(index) as Attr
      if (attribute.namespaceURI !== XML_NS) continue
      const name = attribute.localName ?? ''
      if (inheritable !== null && !inheritable.has(name)) continue
      if (!found.has(name)) found.set(name, attribute)
    }
  }
  return [...found.values()]
}

/** The prefix an `xmlns` / `xmlns:p` attribute declares ('' for the default namespace). */
function declaredPrefix(attribute: Attr): string {
  return attribute.prefix === null || attribute.prefix === '' ? '' : (attribute.localName ?? '')
}

function isNamespaceDeclaration(attribute: Attr): boolean {
  return (
    attribute.namespaceURI === XMLNS_NS ||
    attribute.nodeName === 'xmlns' ||
    attribute.nodeName.startsWith('xmlns:')
  )
}

function compareAttributes(a: Attr, b: Attr): number {
  const left = `${a.namespaceURI ?? ''}\u0000${a.localName}`
  const right = `${b.namespaceURI ?? ''}\u0000${b.localName}`
  return left < right ? -1 : left > right ? 1 : 0
}

function processingInstruction(node: Node): string {
  const data = node.nodeValue ?? ''
  return `<?${node.nodeName}${data === '' ? '' : ` ${data}`}?>`
}

function escapeText(text: string): string {
  return text.replace(/[&<>\r]/g, (character) =>
    character === '&' ? '&amp;' : character === '<' ? '&lt;' : character === '>' ? '&gt;' : '&#xD;',
  )
}

function escapeAttribute(text: string): string {
  return text.replace(/[&<"\t\n\r]/g, (character) => {
    switch (character) {
      case '&':
        return '&amp;'
      case '<':
        return '&lt;'
      case '"':
        return '&quot;'
      case '\t':
        return '&#x9;'
      case '\n':
        return '&#xA;'
      default:
        return '&#xD;'
    }
  })
}
