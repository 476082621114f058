import { decodeGlobalID } from '@pothos/plugin-relay';
import { badInput } from '../errors.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
