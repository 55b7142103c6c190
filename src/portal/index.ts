export { registerPortal } from './routes.ts'
export { browserBundle } from './assets.ts'
