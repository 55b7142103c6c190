import type { ErrorCatalogue } from '../platform/index.ts'
import { CodedError } from '../shared/index.ts'

export type TrackerErrorCode = 'ACCESS_ACTOR_REQUIRED'

export const TRACKER_ERRORS = {
  ACCESS_ACTOR_REQUIRED: 400,
} as const satisfies ErrorCatalogue<TrackerErrorCode>

export class TrackerError extends CodedError<TrackerErrorCode> {}
