/**
 * What the composition root hands the portal, and what the portal hands back. Everything the
 * shell needs from the rest of the state comes in as a function (the session, the checkpoint,
 * ending a session), so the portal imports no higher row and tests give it fakes.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type {
  Audience,
  Environment,
  Language,
  BoundPage,
  PageView,
  Texts,
} from '../platform/index.ts'
import type { FormFields, FormResult, PageOutcome, PageSubmission } from '../platform/index.ts'

/** The person logged in, as the header shows them. */
export interface PortalSession {
  readonly personalCode: string
  readonly givenName: string
  readonly surname: string
  /**
   * The audiences whose pages this person may open besides the public ones: `resident` when
   * left out; an official in a role adds `official`, a service-desk clerk `clerk`.
   */
  readonly audiences?: readonly Audience[]
}

/** What a page's render gets from the shell (its platform is bound by `mountPage`). */
export type PageCall = Pick<PageSubmission<unknown>, 'request' | 'reply' | 'language'>
/** What a page's submit gets: the parsed form and its checker too. */
export type SubmitCall = Omit<PageSubmission<unknown>, 'platform' | 'runtime'>

/** A module's page with the platform it runs against (made by `mountPage`). */
export interface PortalPage {
  readonly path: string
  readonly title: Texts
  readonly audience: Audience
  readonly listed: boolean
  readonly description: Texts | undefined
  readonly templates: string | undefined
  readonly render: ((page: PageCall) => Promise<PageView | undefined>) | undefined
  readonly submit: ((page: SubmitCall) => Promise<PageOutcome | undefined>) | undefined
}

/** The fixed entries of the front page, each at its default path unless `servicePaths` says. */
export type ShellService =
  'login' | 'myData' | 'tracker' | 'sign' | 'validate' | 'desk' | 'ledger' | 'trust' | 'docs'

export interface PortalOptions {
  readonly environment: Environment
  /** The node's public origin: forms must come from it; production needs https. */
  readonly publicUrl: string
  /** The key of the CSRF tokens (at least 32 bytes; derived from the master key). */
  readonly secret: Buffer
  /** The modules' pages (`mountPage(declaration, platform)` for each). */
  readonly pages?: readonly PortalPage[]
  /** The newest published checkpoint's text, for the ledger page. */
  readonly checkpoint?: () => Promise<string | undefined>
  /** Who is logged in, for the header and for pages that are not public. */
  readonly session?: (request: FastifyRequest) => Promise<PortalSession | undefined>
  /** Ends the request's session; the header's "log out" form posts to `/logout`. */
  readonly logout?: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  /** The HTTP status of each error code (the root's combined catalogue). */
  readonly errorStatuses?: ReadonlyMap<string, number>
  /**
   * More routes inside the portal's scope: forms parsed, every post's origin and CSRF token
   * checked before its handler, errors answered as pages.
   */
  readonly routes?: (portal: FastifyInstance, kit: PortalKit) => void | Promise<void>
  /** Where a fixed front-page service lives when not at its default path. */
  readonly servicePaths?: Partial<Record<ShellService, string>>
  /** The largest form body, in bytes (64 KiB unless said). */
  readonly formBodyLimit?: number
}

export interface RenderOptions {
  /** 200 unless said: 400 for a form sent back with its errors. */
  readonly status?: number
  /** Module scripts the page loads (same-origin URLs). */
  readonly scripts?: readonly string[]
  /** The page's script talks to the server (`connect-src 'self'` in its CSP). */
  readonly connects?: boolean
}

/** What route handlers use to answer inside the shell. */
export interface PortalKit {
  /** The request's language (`?lang=`, the remembered one, Estonian); throws LANGUAGE_UNKNOWN. */
  language(request: FastifyRequest): Language
  /** The person logged in, or undefined. */
  session(request: FastifyRequest): Promise<PortalSession | undefined>
  /** Throws SESSION_REQUIRED (401) or ROLE_REQUIRED (403) unless the person may open the page. */
  requireAudience(request: FastifyRequest, audience: Audience): Promise<PortalSession | undefined>
  /**
   * Renders `template` inside the layout: language, texts (`t`), navigation, language switch,
   * session, CSRF token and, when the context has `formErrors`, the error summary. Pass the
   * page's title as `pageTitle`.
   */
  render(
    request: FastifyRequest,
    reply: FastifyReply,
    template: string,
    context: Readonly<Record<string, unknown>>,
    options?: RenderOptions,
  ): Promise<FastifyReply>
  /** Checks the posted form with messages in the request's language. */
  validate<Field extends string>(
    request: FastifyRequest,
    fields: FormFields<Field>,
  ): FormResult<Field>
}

/** A module's page (its runtime bound) bound to the platform its render and submit read. */
export function mountPage<Needs>(page: BoundPage<Needs>, platform: () => Needs): PortalPage {
  const { render, submit } = page
  return {
    path: page.path,
    title: page.title,
    audience: page.audience,
    listed: page.listed ?? false,
    description: page.description,
    templates: page.templates,
    render: render === undefined ? undefined : (request) => render({ ...request, platform }),
    submit: submit === undefined ? undefined : (request) => submit({ ...request, platform }),
  }
}
