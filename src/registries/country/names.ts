/** Name stock for the synthetic population, by native language. Common names, not real people. */
export interface NameStock {
  readonly male: readonly string[]
  readonly female: readonly string[]
  readonly surnames: readonly string[]
  /** Surnames take a feminine form (Russian: Ivanov → Ivanova). */
  readonly feminineSurname: (surname: string) => string
}

const ESTONIAN: NameStock = {
  male: [
    'Andres', 'Jaan', 'Toomas', 'Margus', 'Rein', 'Tarmo', 'Priit', 'Urmas', 'Aivar', 'Indrek',
    'Kristjan', 'Mart', 'Peeter', 'Tõnu', 'Raivo', 'Martin', 'Marko', 'Rasmus', 'Robin', 'Oliver',
    'Sander', 'Karl', 'Mihkel', 'Hendrik', 'Markus', 'Kevin', 'Siim', 'Rando', 'Erik', 'Joosep',
    'Romet', 'Artur', 'Lukas', 'Mattias', 'Kaspar', 'Jüri', 'Ülo', 'Heino', 'Enn', 'Arvo',
  ],
  female: [
    'Mari', 'Tiina', 'Kadri', 'Kristiina', 'Anne', 'Tiiu', 'Eve', 'Pille', 'Katrin', 'Marika',
    'Liis', 'Kertu', 'Triin', 'Maria', 'Laura', 'Anna', 'Sofia', 'Mia', 'Emma', 'Lisandra',
    'Hanna', 'Getter', 'Kätlin', 'Merike', 'Sirje', 'Helle', 'Ene', 'Aino', 'Malle', 'Reet',
    'Eliise', 'Marta', 'Lenna', 'Kaisa', 'Birgit', 'Ülle', 'Õie', 'Hele', 'Kristel', 'Piret',
  ],
  surnames: [
    'Tamm', 'Saar', 'Sepp', 'Mägi', 'Kask', 'Kukk', 'Rebane', 'Ilves', 'Pärn', 'Koppel',
    'Lepik', 'Kuusk', 'Karu', 'Lill', 'Kaasik', 'Lepp', 'Luik', 'Kallas', 'Vaher', 'Kõiv',
    'Mets', 'Raud', 'Kivi', 'Laur', 'Org', 'Teder', 'Põder', 'Jõgi', 'Mänd', 'Paju',
    'Tamme', 'Rand', 'Aavik', 'Kuusik', 'Oja', 'Toom', 'Liiv', 'Kull', 'Järv', 'Pihlak',
    'Sild', 'Leppik', 'Nurk', 'Unt', 'Sarapuu', 'Ots', 'Kruus', 'Maasikas', 'Jõeorg', 'Valk',
  ],
  feminineSurname: (surname) => surname,
}

const RUSSIAN: NameStock = {
  male: [
    'Aleksandr', 'Sergei', 'Dmitri', 'Andrei', 'Aleksei', 'Vladimir', 'Igor', 'Nikolai', 'Maksim',
    'Ivan', 'Mihhail', 'Artjom', 'Denis', 'Pavel', 'Roman', 'Jevgeni', 'Viktor', 'Oleg', 'Juri',
    'Daniil', 'Kirill', 'Nikita', 'Matvei', 'Timofei', 'Jegor',
  ],
  female: [
    'Jelena', 'Olga', 'Tatjana', 'Natalja', 'Svetlana', 'Irina', 'Julia', 'Anastasia', 'Marina',
    'Galina', 'Ljudmila', 'Valentina', 'Jekaterina', 'Darja', 'Viktoria', 'Polina', 'Alisa',
    'Sofja', 'Arina', 'Veronika', 'Ksenia', 'Alina', 'Nadežda', 'Larissa', 'Vera',
  ],
  surnames: [
    'Ivanov', 'Smirnov', 'Kuznetsov', 'Popov', 'Vassiljev', 'Petrov', 'Sokolov', 'Mihhailov',
    'Novikov', 'Fjodorov', 'Morozov', 'Volkov', 'Aleksejev', 'Lebedev', 'Semjonov', 'Jegorov',
    'Pavlov', 'Kozlov', 'Stepanov', 'Nikolajev', 'Orlov', 'Andrejev', 'Makarov', 'Nikitin',
    'Zahharov', 'Zaitsev', 'Solovjov', 'Borissov', 'Jakovlev', 'Grigorjev',
  ],
  feminineSurname: (surname) => `${surname}a`,
}

export const NAME_STOCKS: Readonly<Record<string, NameStock>> = { et: ESTONIAN, ru: RUSSIAN }

/** Syllables for place and street names that read as Estonian without being real places. */
export const PLACE_SYLLABLES = [
  'kuu', 'sal', 'vere', 'lõ', 'tam', 'mäe', 'ran', 'kiv', 'pal', 'jär', 'la', 'oja', 'sem',
  'nur', 'vald', 'ase', 'me', 'rii', 'põl', 'lin', 'haa', 'ko', 'saa', 've', 'tor', 'pi',
] as const

export const STREET_SUFFIXES = ['tänav', 'maantee', 'puiestee', 'põik', 'tee'] as const

export const COMPANY_WORDS = [
  'Agro', 'Balti', 'Digi', 'Eesti', 'Ehitus', 'Energia', 'Harju', 'Info', 'Kinnisvara', 'Logistika',
  'Meedia', 'Metall', 'Mets', 'Nord', 'Puit', 'Põhja', 'Solutions', 'Tehno', 'Trans', 'Viru',
  'Kalandus', 'Teenus', 'Kaubandus', 'Disain', 'Tarkvara', 'Auto', 'Toit', 'Pagar', 'Reisid',
] as const

export const VEHICLE_MODELS: ReadonlyArray<readonly [string, readonly string[], number]> = [
  ['Toyota', ['Corolla', 'RAV4', 'Avensis', 'Yaris', 'Auris'], 18],
  ['Volkswagen', ['Golf', 'Passat', 'Touran', 'Polo'], 14],
  ['Škoda', ['Octavia', 'Superb', 'Fabia', 'Kodiaq'], 12],
  ['Audi', ['A4', 'A6', 'Q5'], 6],
  ['BMW', ['320d', '520d', 'X5'], 6],
  ['Volvo', ['V70', 'XC60', 'XC90'], 6],
  ['Ford', ['Focus', 'Mondeo', 'Transit'], 7],
  ['Opel', ['Astra', 'Zafira', 'Insignia'], 5],
  ['Mercedes-Benz', ['C 200', 'E 220', 'Sprinter'], 6],
  ['Nissan', ['Qashqai', 'X-Trail', 'Leaf'], 5],
  ['Kia', ['Ceed', 'Sportage'], 5],
  ['Honda', ['Civic', 'CR-V'], 4],
  ['Tesla', ['Model 3', 'Model Y'], 2],
  ['Renault', ['Megane', 'Clio'], 4],
]
