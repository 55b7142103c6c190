// EVS 585 (and the Estonian business register): modulus 11 with two weight rounds.
const FIRST_WEIGHTS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 1]
const SECOND_WEIGHTS = [3, 4, 5, 6, 7, 8, 9, 1, 2, 3]

/** The modulus-11 check digit of a string of decimal digits (at most ten of them). */
export function computeCheckDigit(digits: string): number {
  const first = weightedSum(digits, FIRST_WEIGHTS) % 11
  if (first < 10) return first
  const second = weightedSum(digits, SECOND_WEIGHTS) % 11
  return second < 10 ? second : 0
}

function weightedSum(digits: string, weights: readonly number[]): number {
  let sum = 0
  for (let index = 0; index < digits.length; index++) {
    sum += (digits.charCodeAt(index) - 48) * weights[index]
  }
  return sum
}
