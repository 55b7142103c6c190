/**
 * The module contract: what one part of the state (a context such as the ledger, or an
 * e-service such as the e-ID desk) declares in one place so the composition root can plug it in
 * by listing it. The root iterates its list of modules; it never grows a line per route, table,
 * error code or page. A module says:
 *
 * - its HTTP routes (registered by the root, behind admission and the problem handler);
 * - its migrations and its tables: which hold personal data (read only through the door), which
 *   columns are sealed with the envelope, and under which of the envelope's data keys;
 * - its error codes with their HTTP statuses (a catalogue checked by `tsc`: see `errors.ts`);
 * - the ledger entry kinds it writes (through the ledger's recorder, never the outbox directly);
 * - the exchange services it provides and consumes;
 * - its CLI commands, its portal pages and their texts in Estonian, English and Russian;
 * - its demo data and its walkthroughs (`e-state demo NAME`), its configuration slice, the acts
 *   a clerk may do for a resident present in person, and the statistics series it publishes.
 *
 * `Needs` is what the module asks of the platform, by name and type (a structural subset of the
 * composition root's platform: `{ ledger: Ledger; store: Store }`), so a module low in the
 * dependency rows never imports the root.
 */
import type { FastifyInstance } from 'fastify'
import type { Migration } from 'kysely/migration'
import type { ErrorCatalogue } from './errors.ts'
import type { BoundPage, PageDeclaration } from './pages.ts'
import type { Texts } from './texts.ts'

export type Engine = 'sqlite' | 'postgres'

/** The kind of installation: production refuses development keys and shortcuts. */
export type Environment = 'development' | 'production'

/** What a module may read of the node's settings (its configuration slice reads from here). */
export interface ModuleSettings {
  readonly environment: Environment
  /** The process environment as the root read it once (never `process.env` in a module). */
  readonly env: Readonly<Record<string, string | undefined>>
  /** The node's public origin (`https://…`), for links and cookie-bound acts. */
  readonly publicUrl: string
}

/** One environment variable of a module's configuration slice (documented by `e-state --help`). */
export interface ConfigVariable {
  readonly name: `E_STATE_${string}`
  readonly description: string
  /** What it is without the variable; production may refuse a development default. */
  readonly default?: string
  /** Never printed or logged. */
  readonly secret?: boolean
}

export interface ConfigSlice<Slice> {
  readonly variables: readonly ConfigVariable[]
  /** Reads and checks the slice once at start; throws a coded error on a bad value. */
  read(settings: ModuleSettings): Slice
}

/** A numbered migration; the history is one ordered list across every module (by name). */
export interface ModuleMigration {
  /** `NNNN-what`: the global order, unique across modules. */
  readonly name: string
  readonly migration: (engine: Engine) => Migration
}

/** A table the module owns. */
export interface TableDeclaration {
  readonly name: string
  /**
   * Holds personal data: read only through the registries' door (which writes the access
   * record), and on PostgreSQL the application role gets no privilege on it.
   */
  readonly personal?: boolean
  /** Columns sealed with the envelope (confidential at rest), by name. */
  readonly encrypted?: readonly string[]
  /** Why it needs no door although it names people (sessions, certificates: the holder's own). */
  readonly notPersonalBecause?: string
}

/** A kind of ledger entry the module records (through the recorder), with what it commits to. */
export interface LedgerKindDeclaration {
  readonly kind: string
  readonly description: string
}

/** An exchange service this module's agency provides (X-Road service code and what it serves). */
export interface ExchangeServiceDeclaration {
  /** The service code (the last part of `INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE`). */
  readonly service: string
  readonly description: string
  /**
   * Provided in this process: the provider gateway hands the checked request to this module's
   * routes under `prefix`, for services registered with `backend` (`internal:<module>/<name>`).
   */
  readonly inProcess?: { readonly backend: `internal:${string}`; readonly prefix: string }
}

export interface ExchangeDeclaration {
  readonly provides?: readonly ExchangeServiceDeclaration[]
  /** Services of other agencies this module calls through the `ExchangeClient`. */
  readonly consumes?: readonly string[]
}

/** An `e-state <name> …` command: answers an exit code, never calls `process.exit`. */
export interface CommandDeclaration {
  readonly name: string
  readonly summary: string
  run(args: readonly string[]): Promise<number>
}

/** An act a service-desk clerk may do for a resident identified in person (invariant 7). */
export interface ClerkActDeclaration {
  readonly act: string
  /** What the clerk sees in the desk's list, in each language. */
  readonly title: Texts
  /** The desk page that does it. */
  readonly path: string
}

/** A series the public statistics page reads (counts below 5 are suppressed there). */
export interface StatisticsSeriesDeclaration {
  readonly id: string
  readonly title: Texts
  readonly unit: string
}

/** Demo data the module adds to the synthetic country after the registries are seeded. */
export interface DemoDeclaration<Needs> {
  readonly description: string
  seed(platform: Needs): Promise<void>
}

/**
 * `e-state demo <name>`: the module's main flow, run as a client against a running node in
 * development, saying each step in plain words, so a newcomer can watch the service work (and
 * then do the same in the browser). It talks to the node over HTTP only, as any client does.
 */
export interface WalkthroughDeclaration {
  readonly name: string
  readonly summary: string
  run(target: WalkthroughTarget): Promise<void>
}

export interface WalkthroughTarget {
  /** The node's public address (its origin), e.g. `http://127.0.0.1:8080`. */
  readonly url: string
  /** One line for the person watching. */
  readonly say: (line: string) => void
  /** The command line after the walkthrough's name. */
  readonly args: readonly string[]
}

/** What routes (and `open`) receive: the platform once it is open, and the module's slice. */
export interface ModuleContext<Needs, Slice, Runtime> {
  /** The platform; throws `NOT_READY` (503) while the node is still starting. */
  readonly platform: () => Needs
  readonly config: Slice
  /** What `open` made (throws `NOT_READY` before it ran). */
  readonly runtime: () => Runtime
  readonly settings: ModuleSettings
}

/** A module as written by its authors (with its slice and runtime types). */
export interface ModuleDefinition<Needs, Slice = undefined, Runtime = undefined> {
  readonly name: string
  readonly summary: string
  readonly routes?: (
    app: FastifyInstance,
    context: ModuleContext<Needs, Slice, Runtime>,
  ) => void | Promise<void>
  /** Builds the module's domain objects once the platform is open (its services over ports). */
  readonly open?: (platform: Needs, config: Slice) => Runtime | Promise<Runtime>
  readonly close?: (runtime: Runtime) => void | Promise<void>
  readonly migrations?: readonly ModuleMigration[]
  readonly tables?: readonly TableDeclaration[]
  /**
   * The envelope's data keys its sealed columns use (by agency name): the platform makes each
   * one when it first opens the envelope, so the module never meets a missing key.
   */
  readonly dataKeys?: readonly string[]
  readonly errors: ErrorCatalogue<string>
  readonly ledgerKinds?: readonly LedgerKindDeclaration[]
  readonly exchange?: ExchangeDeclaration
  readonly commands?: readonly CommandDeclaration[]
  readonly pages?: readonly PageDeclaration<Needs, Runtime>[]
  readonly demo?: DemoDeclaration<Needs>
  readonly walkthroughs?: readonly WalkthroughDeclaration[]
  readonly config?: ConfigSlice<Slice>
  readonly clerkActs?: readonly ClerkActDeclaration[]
  readonly statistics?: readonly StatisticsSeriesDeclaration[]
}

/**
 * A module as the composition root holds it: the slice and runtime types are closed over, so
 * one list can hold every module. `Needs` stays a parameter: the root's list is typed with its
 * platform, and `tsc` checks that the platform offers each module what it asks for.
 */
export interface Module<Needs> {
  readonly name: string
  readonly summary: string
  /** Reads the slice and returns the module's live half, for `attach` and `start`. */
  instantiate(settings: ModuleSettings): ModuleInstance<Needs>
  readonly migrations: readonly ModuleMigration[]
  readonly tables: readonly TableDeclaration[]
  readonly dataKeys: readonly string[]
  readonly errors: ErrorCatalogue<string>
  readonly ledgerKinds: readonly LedgerKindDeclaration[]
  readonly exchange: ExchangeDeclaration
  readonly commands: readonly CommandDeclaration[]
  /** The pages as declared, for listing; the instance's `pages()` are the ones to mount. */
  readonly pages: readonly PageDeclaration<Needs, never>[]
  readonly demo: DemoDeclaration<Needs> | undefined
  readonly walkthroughs: readonly WalkthroughDeclaration[]
  readonly configVariables: readonly ConfigVariable[]
  readonly clerkActs: readonly ClerkActDeclaration[]
  readonly statistics: readonly StatisticsSeriesDeclaration[]
}

export interface ModuleInstance<Needs> {
  /** Registers the routes; `platform` throws NOT_READY until the node has started. */
  attach(app: FastifyInstance, platform: () => Needs): Promise<void>
  /** The module's pages, each handed this instance's `runtime()`. */
  pages(): readonly BoundPage<Needs>[]
  /** Runs `open` once the platform is open. */
  start(platform: Needs): Promise<void>
  stop(): Promise<void>
}

export function defineModule<Needs, Slice = undefined, Runtime = undefined>(
  definition: ModuleDefinition<Needs, Slice, Runtime>,
): Module<Needs> {
  return {
    name: definition.name,
    summary: definition.summary,
    migrations: definition.migrations ?? [],
    tables: definition.tables ?? [],
    dataKeys: definition.dataKeys ?? [],
    errors: definition.errors,
    ledgerKinds: definition.ledgerKinds ?? [],
    exchange: definition.exchange ?? {},
    commands: definition.commands ?? [],
    pages: definition.pages ?? [],
    demo: definition.demo,
    walkthroughs: definition.walkthroughs ?? [],
    configVariables: definition.config?.variables ?? [],
    clerkActs: definition.clerkActs ?? [],
    statistics: definition.statistics ?? [],
    instantiate(settings) {
      // A module reads the variables it declares, and no other (the master key is not its).
      const declared = new Set(definition.config?.variables.map((variable) => variable.name))
      const own = Object.fromEntries(
        Object.entries(settings.env).filter(([name]) => declared.has(name as `E_STATE_${string}`)),
      )
      const config = (definition.config?.read({ ...settings, env: own }) ?? undefined) as Slice
      let runtime: { value: Runtime } | undefined
      let platformOf: (() => Needs) | undefined
      const runtimeOf = (): Runtime => {
        if (runtime === undefined) {
          platformOf?.() // NOT_READY while starting
          throw new TypeError(`module ${definition.name} has not been opened`)
        }
        return runtime.value
      }
      return {
        async attach(app, platform) {
          platformOf = platform
          await definition.routes?.(app, { platform, config, settings, runtime: runtimeOf })
        },
        pages: () =>
          (definition.pages ?? []).map(({ render, submit, ...page }) => ({
            ...page,
            render: render && ((request) => render({ ...request, runtime: runtimeOf })),
            submit: submit && ((request) => submit({ ...request, runtime: runtimeOf })),
          })),
        async start(platform) {
          runtime = {
            value: (definition.open === undefined
              ? undefined
              : await definition.open(platform, config)) as Runtime,
          }
        },
        async stop() {
          if (runtime !== undefined && definition.close !== undefined)
            await definition.close(runtime.value)
          runtime = undefined
        },
      }
    },
  }
}
