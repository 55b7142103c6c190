/**
 * A module's portal pages, rendered by the portal shell (its layout, language switch, CSRF
 * tokens and error summaries) from the module's own templates. The portal shell owns how a page
 * is rendered; a module only declares what it offers.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Language, Texts } from './texts.ts'

/** Who may open a page: anyone, a logged-in resident, an official in a role, a desk clerk. */
export type Audience = 'public' | 'resident' | 'official' | 'clerk'

/**
 * `Runtime` is what the module's `open` made (its services over ports), handed to the page as
 * `runtime()`: a page that reads none leaves it `unknown`; `never` where a page is only listed,
 * not rendered (`Module.pages`).
 */
export interface PageDeclaration<Needs, Runtime = unknown> {
  /** The page's path under `/` (for example `/tracker`). */
  readonly path: string
  readonly title: Texts
  readonly audience: Audience
  /** Listed on the front page and in the navigation. */
  readonly listed?: boolean
  /** A short line for the front page. */
  readonly description?: Texts
  /** Served only in development (a demo shortcut): production does not mount it at all. */
  readonly developmentOnly?: boolean
  /**
   * The folder (absolute path) that holds the module's Nunjucks templates. It is searched after
   * the portal's own views and govuk-frontend's, so a module cannot shadow the layout: name the
   * templates after the module (`tax/returns.njk` in a `pages/` folder holding `tax/`).
   */
  readonly templates?: string
  /** Answers the page's view (template name and context) or sends a reply itself. */
  readonly render?: (page: PageRequest<Needs, Runtime>) => Promise<PageView | undefined>
  /**
   * Handles the page's form, posted to the same path. The shell has refused a cross-site post
   * and checked the CSRF token before this runs, and parsed the form (urlencoded). Answer a view
   * (with its errors, status 400) or a redirect (303, after a successful act).
   */
  readonly submit?: (
    page: PageSubmission<Needs, Runtime>,
  ) => Promise<PageView | PageRedirect | undefined>
}

export interface PageRequest<Needs, Runtime = unknown> {
  readonly request: FastifyRequest
  readonly reply: FastifyReply
  readonly language: Language
  readonly platform: () => Needs
  /** What the module's `open` made; throws `NOT_READY` (503) while the node is starting. */
  readonly runtime: () => Runtime
}

/** A posted form: each field as sent (a repeated field is a list). */
export interface PageSubmission<Needs, Runtime = unknown> extends PageRequest<Needs, Runtime> {
  readonly form: Readonly<Record<string, string | readonly string[]>>
  /** Checks the form against the fields' rules, with messages in the page's language. */
  validate<Field extends string>(fields: FormFields<Field>): FormResult<Field>
}

/** The built-in codes of a refused field; a field's `check` may add the module's own. */
export type FieldErrorCode = 'FIELD_REQUIRED' | 'FIELD_TOO_LONG' | 'FIELD_INVALID'

/** What one form field must be. Its input's `id` and `name` are the field's name. */
export interface FieldRule {
  readonly label: Texts
  readonly required?: boolean
  /** At most this many characters (1000 unless said). */
  readonly maxLength?: number
  readonly pattern?: RegExp
  /** A further check of a non-empty value: a stable error code, or undefined when it is good. */
  readonly check?: (value: string) => string | undefined
  /** The message for each code the field can fail with, else the shell's generic one. */
  readonly messages?: Readonly<Record<string, Texts>>
}

export type FormFields<Field extends string> = Readonly<Record<Field, FieldRule>>

/** One refused field, by a stable code (shown in the page as `data-code`). */
export interface FieldError {
  readonly field: string
  readonly code: string
  readonly message: string
}

/**
 * What a template needs to show the errors (pass it as `formErrors` in the context): the
 * summary for `govukErrorSummary` (the layout shows it above the page) and each field's
 * `errorMessage` (`formErrors.fields.<name>`).
 */
export interface FormErrors {
  readonly list: readonly FieldError[]
  readonly summary: {
    readonly titleText: string
    readonly errorList: readonly {
      readonly text: string
      readonly href: string
      readonly attributes: Readonly<Record<string, string>>
    }[]
  }
  readonly fields: Readonly<
    Record<
      string,
      {
        readonly text: string
        /** "Error:" before the message for screen readers, in the page's language. */
        readonly visuallyHiddenText: string
        readonly attributes: Readonly<Record<string, string>>
      }
    >
  >
}

export type FormResult<Field extends string> =
  | { readonly ok: true; readonly values: Readonly<Record<Field, string>> }
  | {
      readonly ok: false
      /** The values as sent (trimmed), to fill the form in again. */
      readonly values: Readonly<Record<Field, string>>
      readonly errors: FormErrors
    }

export interface PageView {
  /** A Nunjucks template in the module's `templates` folder (or the portal's own). */
  readonly template: string
  readonly context: Readonly<Record<string, unknown>>
  /** The HTTP status (200 unless said): 400 for a form sent back with its errors. */
  readonly status?: number
  /**
   * The page loads the portal's browser code (the e-ID held in this browser, receipts checked
   * here, signing): its script and `connect-src 'self'`. The page still reads without it.
   */
  readonly browserScript?: boolean
}

/** After an act: the browser is sent on (303 See Other), so a reload does not repeat it. */
export interface PageRedirect {
  /** A path on this site (`/tracker?done=1`), never another origin. */
  readonly redirect: string
}

/** What a page's `submit` answers: a view (with its errors) or a redirect after an act. */
export type PageOutcome = PageView | PageRedirect

/** A page with its module's `runtime()` bound (`ModuleInstance.pages()`): what the root mounts. */
export interface BoundPage<Needs> extends Omit<PageDeclaration<Needs>, 'render' | 'submit'> {
  readonly render?: (page: Omit<PageRequest<Needs>, 'runtime'>) => Promise<PageView | undefined>
  readonly submit?: (
    page: Omit<PageSubmission<Needs>, 'runtime'>,
  ) => Promise<PageOutcome | undefined>
}
