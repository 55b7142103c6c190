import type { ErrorCatalogue } from '../platform/index.ts'
import { EStateError } from '../shared/index.ts'

export type TrackerErrorCode = 'ACCESS_ACTOR_REQUIRED'

export const TRACKER_ERRORS = {
  ACCESS_ACTOR_REQUIRED: 400,
} as const satisfies ErrorCatalogue<TrackerErrorCode>

export class TrackerError extends EStateError {
  declare readonly code: TrackerErrorCode

  constructor(code: TrackerErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details)
  }
}
