import { decodeGlobalID } from '@pothos/plugin-relay';
import { badInput } from '../../lib/api-errors.ts';
import { UUID } from '../../lib/uuid.ts';

/** The database id inside a Relay global ID of the given type; BAD_USER_INPUT otherwise. */
export function databaseId(globalId: string, typename: string, field: string): string {
  let decoded: { typename: string; id: string };
  try {
    decoded = decodeGlobalID(globalId);
  } catch {
    throw badInput(`${field} is not a valid ${typename} ID`, field);
  }
  if (decoded.typename !== typename || !UUID.test(decoded.id)) {
    throw badInput(`${field} is not a valid ${typename} ID`, field);
  }
  return decoded.id.toLowerCase();
}
