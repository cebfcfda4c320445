// A short share history with its PPLNS window worked out by hand.

// Oldest first. With network difficulty 50 and factor 2, N = 100. Walking back
// from the newest: alice 30 (30), bob 15 (45), dave 25 (70), alice 10 (80),
// then bob's 28 would make 108 > 100, so it counts 20 of 28; carol and the
// first alice share are outside. Window: alice 40, bob 35, dave 25.
export const HISTORY: [string, number][] = [
  ['carol', 40],
  ['alice', 30],
  ['bob', 28],
  ['alice', 10],
  ['dave', 25],
  ['bob', 15],
  ['alice', 30],
];
export const EXPECTED = [
  { account: 'alice', difficulty: 40 },
  { account: 'bob', difficulty: 35 },
  { account: 'dave', difficulty: 25 },
];
