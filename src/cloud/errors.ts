import type { ErrorCatalogue } from '../platform/index.ts'
import { EStateError } from '../shared/index.ts'

export type CloudErrorCode =
  /** The PostgreSQL server binaries are not on this machine. */
  | 'CLOUD_POSTGRES_MISSING'
  /** A PostgreSQL tool (initdb, pg_ctl, pg_basebackup) failed. */
  | 'CLOUD_POSTGRES_FAILED'
  /** The site directory is missing, already used, or not what the command expects. */
  | 'CLOUD_SITE_INVALID'
  /** `promote` on a server that is not a replica. */
  | 'CLOUD_NOT_REPLICA'
  /** `promote` while the primary still answers (without --force). */
  | 'CLOUD_PRIMARY_ALIVE'
  /** Automatic promotion without the arbiter's vote. */
  | 'CLOUD_NO_QUORUM'
  /** The act was refused: the site is fenced or at another generation. */
  | 'CLOUD_FENCED'
  /** The commit may or may not have happened (connection lost, replication wait cancelled). */
  | 'CLOUD_OUTCOME_UNKNOWN'
  /** Promotion did not complete in time. */
  | 'CLOUD_PROMOTE_FAILED'
  /** Not a backup, or a malformed one. */
  | 'CLOUD_BACKUP_INVALID'
  /** A backup that was changed, damaged or cut off. */
  | 'CLOUD_BACKUP_CORRUPT'
  /** A backup sealed by a master key this installation does not have. */
  | 'CLOUD_BACKUP_WRONG_KEY'

/** Mostly the operator's commands' errors; an act on a fenced site answers 503. */
export const CLOUD_ERRORS = {
  CLOUD_POSTGRES_MISSING: 500,
  CLOUD_POSTGRES_FAILED: 500,
  CLOUD_SITE_INVALID: 400,
  CLOUD_NOT_REPLICA: 409,
  CLOUD_PRIMARY_ALIVE: 409,
  CLOUD_NO_QUORUM: 409,
  CLOUD_FENCED: 503,
  CLOUD_OUTCOME_UNKNOWN: 503,
  CLOUD_PROMOTE_FAILED: 500,
  CLOUD_BACKUP_INVALID: 400,
  CLOUD_BACKUP_CORRUPT: 422,
  CLOUD_BACKUP_WRONG_KEY: 422,
} as const satisfies ErrorCatalogue<CloudErrorCode>

export class CloudError extends EStateError {
  declare readonly code: CloudErrorCode

  constructor(
    code: CloudErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(code, message, details, options)
  }
}
