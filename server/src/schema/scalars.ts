import { GraphQLScalarType, Kind } from 'graphql';
import { badInput } from '../lib/api-errors.ts';

const DECIMAL = /^-?\d{1,20}(\.\d{1,20})?$/;

function parseDecimal(value: unknown): string {
  if (typeof value !== 'string' || !DECIMAL.test(value)) {
    throw badInput('Decimal must be a string such as "0.01"');
  }
  return value;
}

/** Exact decimal numbers travel as strings ("0.01"), never as floats. */
export const DecimalResolver = new GraphQLScalarType<string, string>({
  name: 'Decimal',
  description: 'An exact decimal number as a string, e.g. "0.01" (amounts in USDC).',
  serialize: (value) => {
    // Prisma.Decimal → canonical plain notation, no exponent, no trailing zeros.
    if (value && typeof value === 'object' && 'toFixed' in value) {
      return (value as { toFixed(): string }).toFixed();
    }
    return parseDecimal(typeof value === 'number' ? String(value) : value);
  },
  parseValue: parseDecimal,
  parseLiteral: (ast) => parseDecimal(ast.kind === Kind.STRING ? ast.value : undefined),
});
