/**
 * "My data" as a module: the person's own page, read through the exchange as the state portal
 * for the person logged in, and its desk twin, the clerk showing a resident present in person
 * their data. It owns no tables and writes nothing but the reads' access records (the door's)
 * and the desk act's record.
 */
import { defineModule } from '../../platform/index.ts'
import { MY_DATA_PAGES, type MyDataPageNeeds } from './pages.ts'

export const myDataModule = defineModule<MyDataPageNeeds>({
  name: 'my-data',
  summary: "A person's own data in the registers, read through the exchange as the state portal",
  errors: {},
  exchange: { consumes: ['population', 'vehicles', 'business'] },
  pages: MY_DATA_PAGES,
  clerkActs: [
    {
      act: 'show-data',
      title: {
        et: 'Näita elanikule tema andmeid',
        en: 'Show a resident their data',
        ru: 'Показать жителю его данные',
      },
      path: '/desk/my-data',
    },
  ],
})
