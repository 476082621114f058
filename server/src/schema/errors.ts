import { ERROR_CODES } from '../lib/api-errors.ts';
import { builder } from './builder.ts';

// No field returns it: Pothos puts every type it builds into the schema, so the codes are
// documented there and clients generate a type from them.
builder.enumType('ErrorCode', {
  description:
    'Every `extensions.code` an error of this API can carry. Clients branch on the code, never on the message.',
  values: ERROR_CODES,
});
