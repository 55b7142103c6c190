export { IdentityError, type IdentityErrorCode } from './errors.ts'
export {
  createWebEidValidator,
  type TrustedCa,
  type WebEidIdentity,
  type WebEidValidator,
} from './web-eid.ts'
