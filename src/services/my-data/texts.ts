import type { TextCatalogue } from '../../platform/index.ts'

type Key =
  | 'lead'
  | 'person'
  | 'name'
  | 'personalCode'
  | 'birthDate'
  | 'citizenship'
  | 'residence'
  | 'email'
  | 'phone'
  | 'family'
  | 'spouse'
  | 'mother'
  | 'father'
  | 'children'
  | 'none'
  | 'vehicles'
  | 'plate'
  | 'vehicle'
  | 'role'
  | 'owner'
  | 'user'
  | 'inspection'
  | 'licence'
  | 'licenceCategories'
  | 'validUntil'
  | 'companies'
  | 'company'
  | 'registryCode'
  | 'noVehicles'
  | 'noCompanies'
  | 'trackerHint'

export const MY_DATA_TEXTS: TextCatalogue<Key> = {
  et: {
    lead: 'Mida riigi registrid sinu kohta teavad. Iga lugemine on kirjas sinu andmejälgijas.',
    person: 'Isikuandmed',
    name: 'Nimi',
    personalCode: 'Isikukood',
    birthDate: 'Sünniaeg',
    citizenship: 'Kodakondsus',
    residence: 'Elukoht',
    email: 'E-post',
    phone: 'Telefon',
    family: 'Perekond',
    spouse: 'Abikaasa',
    mother: 'Ema',
    father: 'Isa',
    children: 'Lapsed',
    none: 'puudub',
    vehicles: 'Sõidukid ja juhiluba',
    plate: 'Registreerimismärk',
    vehicle: 'Sõiduk',
    role: 'Seos',
    owner: 'omanik',
    user: 'kasutaja',
    inspection: 'Ülevaatus kehtib kuni',
    licence: 'Juhiluba',
    licenceCategories: 'Kategooriad',
    validUntil: 'Kehtib kuni',
    companies: 'Rollid ettevõtetes',
    company: 'Ettevõte',
    registryCode: 'Registrikood',
    noVehicles: 'Sinu nimel ei ole registreeritud ühtegi sõidukit.',
    noCompanies: 'Sa ei ole ühegi ettevõtte juhatuses.',
    trackerHint: 'Vaata andmejälgijast, kes ja miks sinu andmeid on vaadanud.',
  },
  en: {
    lead: "What the state's registers hold about you. Every read is listed in your data tracker.",
    person: 'Personal details',
    name: 'Name',
    personalCode: 'Personal code',
    birthDate: 'Date of birth',
    citizenship: 'Citizenship',
    residence: 'Residence',
    email: 'Email',
    phone: 'Phone',
    family: 'Family',
    spouse: 'Spouse',
    mother: 'Mother',
    father: 'Father',
    children: 'Children',
    none: 'none',
    vehicles: 'Vehicles and driving licence',
    plate: 'Plate',
    vehicle: 'Vehicle',
    role: 'Your role',
    owner: 'owner',
    user: 'user',
    inspection: 'Inspection valid until',
    licence: 'Driving licence',
    licenceCategories: 'Categories',
    validUntil: 'Valid until',
    companies: 'Company roles',
    company: 'Company',
    registryCode: 'Registry code',
    noVehicles: 'No vehicle is registered to you.',
    noCompanies: 'You are not on the board of any company.',
    trackerHint: 'See in the data tracker who has looked at your data, and why.',
  },
  ru: {
    lead: 'Что государственные регистры знают о вас. Каждое чтение отражено в вашем трекере данных.',
    person: 'Личные данные',
    name: 'Имя',
    personalCode: 'Личный код',
    birthDate: 'Дата рождения',
    citizenship: 'Гражданство',
    residence: 'Место жительства',
    email: 'Эл. почта',
    phone: 'Телефон',
    family: 'Семья',
    spouse: 'Супруг(а)',
    mother: 'Мать',
    father: 'Отец',
    children: 'Дети',
    none: 'нет',
    vehicles: 'Транспортные средства и водительские права',
    plate: 'Номерной знак',
    vehicle: 'Транспортное средство',
    role: 'Ваша роль',
    owner: 'владелец',
    user: 'пользователь',
    inspection: 'Техосмотр действителен до',
    licence: 'Водительские права',
    licenceCategories: 'Категории',
    validUntil: 'Действительны до',
    companies: 'Роли в компаниях',
    company: 'Компания',
    registryCode: 'Регистрационный код',
    noVehicles: 'На ваше имя не зарегистрировано ни одного транспортного средства.',
    noCompanies: 'Вы не входите в правление ни одной компании.',
    trackerHint: 'В трекере данных видно, кто и зачем просматривал ваши данные.',
  },
}
