export {
  deskPurpose,
  deskVisitOf,
  openDeskVisit,
  recordDeskAct,
  type DeskNeeds,
  type DeskVisit,
} from './desk.ts'
export { createDeskModule } from './module.ts'
