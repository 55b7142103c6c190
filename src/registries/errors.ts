import { EStateError } from '../shared/index.ts'

export type RegistryErrorCode =
  | 'COUNTRY_ALREADY_SEEDED'
  | 'COUNTRY_NOT_SEEDED'
  | 'REGISTRY_UNKNOWN'
  | 'REGISTRY_VERSION_UNKNOWN'
  | 'REGISTRY_FIELD_UNKNOWN'
  | 'REGISTRY_QUERY_TOO_BROAD'
  | 'INVALID_INPUT'
  | 'NOT_ACCEPTABLE'
  | 'METHOD_NOT_ALLOWED'
  | 'REGISTRY_QUERY_AMBIGUOUS'
  | 'RECORD_NOT_FOUND'
  | 'ACCESS_ACTOR_REQUIRED'
  | 'ACCESS_PURPOSE_REQUIRED'
  | 'ACCESS_DENIED'
  | 'ACCESS_LOG_BACKLOG'

export class RegistryError extends EStateError {
  declare readonly code: RegistryErrorCode
}
