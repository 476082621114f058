/** One behaviour check: the bench fails (exits non-zero) when any is not ok, never on a timing. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}
