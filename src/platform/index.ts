export {
  defineModule,
  type ClerkActDeclaration,
  type CommandDeclaration,
  type ConfigSlice,
  type ConfigVariable,
  type DemoDeclaration,
  type Engine,
  type Environment,
  type ExchangeDeclaration,
  type ExchangeServiceDeclaration,
  type LedgerKindDeclaration,
  type Module,
  type ModuleContext,
  type ModuleDefinition,
  type ModuleInstance,
  type ModuleMigration,
  type ModuleSettings,
  type StatisticsSeriesDeclaration,
  type TableDeclaration,
} from './module.ts'
export {
  PLATFORM_ERRORS,
  PlatformError,
  combineCatalogues,
  type ErrorCatalogue,
  type HttpStatus,
  type PlatformErrorCode,
} from './errors.ts'
export {
  DEFAULT_LANGUAGE,
  LANGUAGES,
  isLanguage,
  type Language,
  type TextCatalogue,
  type Texts,
} from './texts.ts'
export type { Audience, PageDeclaration, PageRequest, PageView } from './pages.ts'
