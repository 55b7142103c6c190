/**
 * The service desk as a module: the clerk's front page, listing every act any module offers a
 * clerk for a resident present in person (`clerkActs`). The acts themselves are the modules'
 * own pages; each goes through `openDeskVisit` and `recordDeskAct`.
 */
import { join } from 'node:path'
import {
  defineModule,
  type ClerkActDeclaration,
  type Module,
  type TextCatalogue,
} from '../../platform/index.ts'

const TEXTS: TextCatalogue<'lead' | 'recorded'> = {
  et: {
    lead: 'Teeninda elanikku, kes on kohal: tuvasta ta dokumendi järgi ja vali toiming.',
    recorded:
      'Iga toiming ja iga selle käigus tehtud päring on elaniku andmejälgijas kirjas sinu nimel ja tema heaks.',
  },
  en: {
    lead: 'Serve a resident who is here in person: identify them by their document and choose the act.',
    recorded:
      "Every act, and every read it makes, is in the resident's data tracker as yours, done for them.",
  },
  ru: {
    lead: 'Обслужите жителя, который пришёл лично: установите личность по документу и выберите действие.',
    recorded:
      'Каждое действие и каждый запрос в его ходе отражаются в трекере данных жителя от вашего имени и в его интересах.',
  },
}

/** The desk, over the clerk acts of the modules listed (read when a page is shown). */
export function createDeskModule(acts: () => readonly ClerkActDeclaration[]): Module<unknown> {
  return defineModule<unknown>({
    name: 'desk',
    summary: 'The service desk: a clerk acts for a resident present in person (the paper channel)',
    errors: {},
    pages: [
      {
        path: '/desk',
        title: { et: 'Teenindus', en: 'Service desk', ru: 'Бюро обслуживания' },
        description: {
          et: 'Ametnikule: toimingud elaniku eest, kes on kohal.',
          en: 'For clerks: acts for a resident present in person.',
          ru: 'Для служащих: действия за жителя, пришедшего лично.',
        },
        audience: 'clerk',
        listed: true,
        templates: join(import.meta.dirname, 'pages'),
        async render({ language }) {
          return {
            template: 'desk/index.njk',
            context: {
              x: TEXTS[language],
              acts: acts().map((act) => ({ path: act.path, title: act.title[language] })),
            },
          }
        },
      },
    ],
  })
}
