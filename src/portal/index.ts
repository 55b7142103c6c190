export { registerPortal } from './routes.ts'
export { browserBundle } from './assets.ts'
export { mountPage } from './options.ts'
export type {
  PageCall,
  PortalKit,
  PortalOptions,
  PortalPage,
  PortalSession,
  RenderOptions,
  ShellService,
  SubmitCall,
} from './options.ts'
export { CSRF_COOKIE, CSRF_FIELD } from './csrf.ts'
export { LANGUAGE_COOKIE } from './i18n.ts'
export { PAGE_CSP } from './shell.ts'
