/**
 * The e-ID desk: a service-desk clerk issues a resident's e-ID (authentication and signing
 * certificates for keys the resident made), and the holder sees, suspends, revokes and renews
 * their own. The first module to act for a resident present in person.
 */
import { defineModule } from '../../platform/index.ts'
import { EID_DESK_ERRORS } from './errors.ts'
import { registerDemoDesk } from './demo-desk.ts'
import { EID_DESK_PAGES } from './pages.ts'
import { registerEidDeskRoutes, type EidDeskNeeds } from './routes.ts'
import { EID_WALKTHROUGH } from './walkthrough.ts'

export const eidDeskModule = defineModule<EidDeskNeeds>({
  name: 'eid-desk',
  summary: "e-ID issuance at the service desk and the holder's own certificates",
  routes: (app, { platform, settings }) => {
    registerEidDeskRoutes(app, platform)
    registerDemoDesk(app, platform, settings.environment)
  },
  pages: EID_DESK_PAGES,
  errors: EID_DESK_ERRORS,
  exchange: { consumes: ['population'] },
  walkthroughs: [EID_WALKTHROUGH],
  clerkActs: [
    {
      act: 'issue-eid',
      title: {
        et: 'Väljasta ID-kaardi sertifikaadid',
        en: 'Issue an e-ID',
        ru: 'Выдать сертификаты ID-карты',
      },
      path: '/desk/eid',
    },
  ],
})
