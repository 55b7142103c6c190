export {
  createTracker,
  MAX_USAGE_PAGE,
  type Tracker,
  type UsageList,
  type UsageRecord,
} from './tracker.ts'
