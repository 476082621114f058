import { decodeGlobalID } from '@pothos/plugin-relay';
import { badInput } from '../../lib/api-errors.ts';
import { UUID } from '../../lib/uuid.ts';

/** The database id inside a Relay global ID of the given type; BAD_USER_INPUT otherwise. */
export function databaseId(globalId: string, typename: string, field: string): string {
  let decoded: { typename: string; id: string };
  try {
    if (globalId.length > 200) throw new Error('too long');
    decoded = decodeGlobalID(globalId);
  } catch {
    throw badInput(`${field} is not a valid ${typename} ID`, field);
  }
  if (decoded.typename !== typename || !UUID.test(decoded.id)) {
    throw badInput(`${field} is not a valid ${typename} ID`, field);
  }
  return decoded.id.toLowerCase();
}

/** The node types a global ID may name; each is keyed by a UUID. */
const NODE_TYPES = new Set(['Template', 'Execution', 'User']);

/**
 * The Relay plugin's decodeGlobalID for `node`/`nodes`: any id that is not base64 of
 * "<node type>:<uuid>" is BAD_USER_INPUT, before anything reaches the database.
 */
export function decodeNodeId(globalId: string): { typename: string; id: string } {
  const refuse = () => badInput('id is not a valid node ID', 'id');
  if (globalId.length > 200) throw refuse();
  const text = Buffer.from(globalId, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  const typename = text.slice(0, colon);
  const id = text.slice(colon + 1);
  if (colon < 1 || !NODE_TYPES.has(typename) || !UUID.test(id)) throw refuse();
  return { typename, id: id.toLowerCase() };
}
