/**
 * Hands a download link to the browser: it streams the file to disk, nothing is held in the page.
 * (Its own module so that component tests can see where the page sent the browser.)
 */
export function startDownload(path: string) {
  window.location.assign(path);
}
