export {
  createTracker,
  MAX_USAGE_PAGE,
  type Tracker,
  type UsageList,
  type UsageRecord,
} from './tracker.ts'
export { TRACKER_ERRORS, TrackerError, type TrackerErrorCode } from './errors.ts'
export { registerTrackerRoutes, type TrackerNeeds } from './routes.ts'
export { trackerModule } from './module.ts'
