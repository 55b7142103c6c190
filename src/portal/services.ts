/**
 * What the front page offers: the state's fixed services and every module page declared
 * `listed`, one card each. A module page at a fixed service's path takes its place (its own
 * title and description), so the root can build "my data" as a module page without doubling it.
 */
import type { Audience, Language } from '../platform/index.ts'
import type { PortalPage, ShellService } from './options.ts'
import { shellTexts, type ShellTextKey } from './texts/index.ts'

interface FixedService {
  readonly name: ShellService
  readonly path: string
  readonly audience: Audience
  readonly title: ShellTextKey
  readonly text: ShellTextKey
}

const fixed = (
  name: ShellService,
  path: string,
  audience: Audience,
  key: 'Login' | 'MyData' | 'Tracker' | 'Sign' | 'Validate' | 'Desk' | 'Ledger' | 'Trust' | 'Docs',
): FixedService => ({
  name,
  path,
  audience,
  title: `service${key}Title`,
  text: `service${key}Text`,
})

/** A person's own services first; the state's public infrastructure last. */
const SERVICES_FIRST: readonly FixedService[] = [
  fixed('login', '/login', 'public', 'Login'),
  fixed('myData', '/my-data', 'resident', 'MyData'),
  fixed('tracker', '/tracker', 'resident', 'Tracker'),
  fixed('sign', '/sign', 'resident', 'Sign'),
  fixed('validate', '/validate', 'public', 'Validate'),
  fixed('desk', '/desk', 'clerk', 'Desk'),
]
const SERVICES_LAST: readonly FixedService[] = [
  fixed('ledger', '/ledger', 'public', 'Ledger'),
  fixed('trust', '/trust', 'public', 'Trust'),
  fixed('docs', '/docs', 'public', 'Docs'),
]

export interface ServiceCard {
  readonly href: string
  readonly title: string
  readonly description: string
  readonly audience: Audience
}

export function frontPageServices(
  pages: readonly PortalPage[],
  language: Language,
  paths: Partial<Record<ShellService, string>> = {},
): readonly ServiceCard[] {
  const texts = shellTexts(language)
  const listed = new Map(pages.filter((page) => page.listed).map((page) => [page.path, page]))
  const card = (service: FixedService): ServiceCard => {
    const href = paths[service.name] ?? service.path
    const page = listed.get(href)
    listed.delete(href)
    return page === undefined
      ? {
          href,
          title: texts[service.title],
          description: texts[service.text],
          audience: service.audience,
        }
      : pageCard(page, language)
  }
  const first = SERVICES_FIRST.map(card)
  const last = SERVICES_LAST.map(card)
  return [...first, ...[...listed.values()].map((page) => pageCard(page, language)), ...last]
}

function pageCard(page: PortalPage, language: Language): ServiceCard {
  return {
    href: page.path,
    title: page.title[language],
    description: page.description?.[language] ?? '',
    audience: page.audience,
  }
}
