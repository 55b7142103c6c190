import { describe, it, expect } from 'vitest'
import { createRandom, type Random } from './random.ts'

function draw(random: Random, count: number): number[] {
  return Array.from({ length: count }, () => random.next())
}

describe('createRandom', () => {
  it('gives the same sequence for the same seed', () => {
    expect(draw(createRandom('estonia-2025'), 1000)).toEqual(
      draw(createRandom('estonia-2025'), 1000),
    )
  })

  it('gives different sequences for different seeds, even one character apart', () => {
    const base = draw(createRandom('seed-1'), 100)
    for (const other of ['seed-2', 'Seed-1', 'seed-1 ', '', 'seed-10']) {
      const sequence = draw(createRandom(other), 100)
      const same = sequence.filter((value, index) => value === base[index]).length
      expect(same, `seed ${JSON.stringify(other)}`).toBeLessThan(3)
    }
  })

  it('yields values in [0, 1)', () => {
    const values = draw(createRandom('range'), 100_000)
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...values)).toBeLessThan(1)
    // Spread over the whole interval, not squeezed into part of it.
    expect(Math.min(...values)).toBeLessThan(0.001)
    expect(Math.max(...values)).toBeGreaterThan(0.999)
  })

  it('does not repeat values in a long run', () => {
    const values = draw(createRandom('repeats'), 50_000)
    // 2^32 possible values: 50,000 draws collide about 0.3 times on average.
    expect(new Set(values).size).toBeGreaterThan(49_990)
  })

  describe('fork', () => {
    it('depends on the parent seed and the label, not on how much the parent has drawn', () => {
      const fresh = createRandom('country')
      const used = createRandom('country')
      draw(used, 12_345)
      used.int(1, 6)
      used.pick(['a', 'b'])
      expect(draw(fresh.fork('persons'), 200)).toEqual(draw(used.fork('persons'), 200))
    })

    it('does not disturb the parent stream', () => {
      const plain = createRandom('country')
      const forking = createRandom('country')
      const expected = draw(plain, 10)
      const got: number[] = []
      for (let index = 0; index < 10; index++) {
        draw(forking.fork(`child-${index}`), 5)
        got.push(forking.next())
      }
      expect(got).toEqual(expected)
    })

    it('gives different streams for different labels and differs from the parent', () => {
      const root = createRandom('country')
      const persons = draw(root.fork('persons'), 50)
      const companies = draw(root.fork('companies'), 50)
      const parent = draw(createRandom('country'), 50)
      expect(persons).not.toEqual(companies)
      expect(persons).not.toEqual(parent)
      expect(draw(createRandom('other').fork('persons'), 50)).not.toEqual(persons)
    })

    it('is itself reproducible and forkable', () => {
      const a = createRandom('s').fork('x').fork('y')
      const b = createRandom('s').fork('x').fork('y')
      expect(draw(a, 20)).toEqual(draw(b, 20))
    })
  })

  describe('int', () => {
    it('stays within inclusive bounds and reaches both ends', () => {
      const random = createRandom('dice')
      const seen = new Set<number>()
      for (let index = 0; index < 10_000; index++) {
        const value = random.int(1, 6)
        expect(Number.isInteger(value)).toBe(true)
        expect(value).toBeGreaterThanOrEqual(1)
        expect(value).toBeLessThanOrEqual(6)
        seen.add(value)
      }
      expect([...seen].sort()).toEqual([1, 2, 3, 4, 5, 6])
    })

    it('handles negative ranges and a single-value range', () => {
      const random = createRandom('negative')
      const seen = new Set<number>()
      for (let index = 0; index < 2_000; index++) seen.add(random.int(-3, -1))
      expect([...seen].sort()).toEqual([-1, -2, -3])
      for (let index = 0; index < 100; index++) expect(random.int(7, 7)).toBe(7)
    })

    it('is roughly uniform over ten buckets (chi-square, 100,000 draws)', () => {
      const random = createRandom('uniformity')
      const draws = 100_000
      const counts = new Array<number>(10).fill(0)
      for (let index = 0; index < draws; index++) counts[random.int(0, 9)]++
      const expected = draws / 10
      const chiSquare = counts.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0)
      // 9 degrees of freedom: the 99.9th percentile is 27.9. A biased generator lands far above.
      expect(chiSquare).toBeLessThan(40)
      for (const count of counts) expect(Math.abs(count - expected)).toBeLessThan(expected * 0.05)
    })
  })

  describe('pick and chance', () => {
    it('pick returns every item of the list and nothing else', () => {
      const random = createRandom('pick')
      const items = ['Tallinn', 'Tartu', 'Narva', 'Pärnu'] as const
      const seen = new Set<string>()
      for (let index = 0; index < 1_000; index++) {
        const item = random.pick(items)
        expect(items).toContain(item)
        seen.add(item)
      }
      expect(seen.size).toBe(items.length)
    })

    it('chance(0) is never true, chance(1) always, chance(0.3) about 30%', () => {
      const random = createRandom('chance')
      let hits = 0
      for (let index = 0; index < 10_000; index++) {
        expect(random.chance(0)).toBe(false)
        expect(random.chance(1)).toBe(true)
        if (random.chance(0.3)) hits++
      }
      expect(hits).toBeGreaterThan(2_800)
      expect(hits).toBeLessThan(3_200)
    })
  })
})
