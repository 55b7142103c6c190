export {
  deskPurpose,
  deskVisitOf,
  openDeskVisit,
  recordDeskAct,
  type DeskNeeds,
  type DeskVisit,
} from './desk.ts'
export { createDeskModule } from './module.ts'
export { residentFields, type ResidentField, type ResidentFieldWords } from './fields.ts'
