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

type DeskKey =
  | 'lead'
  | 'residentCode'
  | 'residentHint'
  | 'documentChecked'
  | 'show'
  | 'codeInvalid'
  | 'mustCheck'
  | 'shownFor'
  | 'recorded'
  | 'another'
  | 'noVehicles'
  | 'vehiclesNotHere'
  | 'companiesSelfService'

/** The desk page's own words (the data's labels are `MY_DATA_TEXTS`). */
export const MY_DATA_DESK_TEXTS: TextCatalogue<DeskKey> = {
  et: {
    lead: 'Tuvasta elanik isikut tõendava dokumendi järgi ja näita talle, mida riigi registrid tema kohta teavad.',
    residentCode: 'Elaniku isikukood',
    residentHint: '11 numbrit, näiteks 38001085718',
    documentChecked: 'Olen elaniku isikut tõendava dokumendi üle kontrollinud',
    show: 'Näita andmeid',
    codeInvalid: 'Sisesta kehtiv 11-kohaline isikukood',
    mustCheck: 'Kontrolli enne andmete näitamist elaniku dokumenti',
    shownFor: 'Elaniku andmed:',
    recorded:
      'Iga lugemine ja see toiming on elaniku andmejälgijas kirjas sinu nimel ja tema heaks.',
    another: 'Teeninda järgmist elanikku',
    noVehicles: 'Elaniku nimel ei ole registreeritud ühtegi sõidukit.',
    vehiclesNotHere:
      'Sinu asutusel ei ole õigust liiklusregistrit lugeda: sõidukid ja juhiluba näitab Transpordiamet või riigiportaal.',
    companiesSelfService:
      'Rolle ettevõtetes näitab äriregister ainult inimesele endale: ta näeb neid riigiportaalis.',
  },
  en: {
    lead: "Identify the resident by their identity document and show them what the state's registers hold about them.",
    residentCode: "Resident's personal code",
    residentHint: '11 digits, for example 38001085718',
    documentChecked: "I have checked the resident's identity document",
    show: 'Show the data',
    codeInvalid: 'Enter a valid 11-digit personal code',
    mustCheck: "Check the resident's document before showing their data",
    shownFor: 'Data of resident',
    recorded:
      "Every read, and this act, is in the resident's data tracker as yours, done for them.",
    another: 'Serve the next resident',
    noVehicles: 'No vehicle is registered to the resident.',
    vehiclesNotHere:
      'Your agency may not read the vehicle register: the Transport Administration or the state portal shows vehicles and the driving licence.',
    companiesSelfService:
      'The business register shows company roles to the person alone: they see them in the state portal.',
  },
  ru: {
    lead: 'Установите личность жителя по документу и покажите ему, что о нём знают государственные регистры.',
    residentCode: 'Личный код жителя',
    residentHint: '11 цифр, например 38001085718',
    documentChecked: 'Я проверил(а) документ, удостоверяющий личность жителя',
    show: 'Показать данные',
    codeInvalid: 'Введите действительный 11-значный личный код',
    mustCheck: 'Проверьте документ жителя, прежде чем показывать данные',
    shownFor: 'Данные жителя',
    recorded:
      'Каждый запрос и это действие отражены в трекере данных жителя от вашего имени и в его интересах.',
    another: 'Обслужить следующего жителя',
    noVehicles: 'На жителя не зарегистрировано ни одного транспортного средства.',
    vehiclesNotHere:
      'Вашему ведомству не разрешено читать регистр транспорта: транспорт и права показывает Транспортный департамент или госпортал.',
    companiesSelfService:
      'Роли в компаниях бизнес-регистр показывает только самому человеку: он видит их на госпортале.',
  },
}
