import type { Strategy } from '../strategy.ts';

export const strategy: Strategy = {
  name: 'buy_and_hold',
  description: 'fully long from the first instant to the end',
  create: () => () => 1,
};
