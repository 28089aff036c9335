// Pages taken but not sent yet, kept in IndexedDB under the link's token, so a reload,
// a back navigation or a killed browser loses nothing. Forgotten once the scan is sent
// or the session is over.

const DB = "handoff-scan";
const STORE = "pages";

/** The phone token of this page's link (/s/{token}/...). */
export const token = window.location.pathname.split("/")[2] ?? "";

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(mode, act) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(STORE, mode);
    const request = act(transaction.objectStore(STORE));
    transaction.oncomplete = () => { db.close(); resolve(request.result); };
    transaction.onerror = transaction.onabort = () => { db.close(); reject(transaction.error); };
  });
}

/** ``documents``: per document, its pages as {blob, width, height, corners, rotation, filter, thumb}. */
export function save(documents) {
  return run("readwrite", (store) => store.put({ documents, savedAt: Date.now() }, token));
}

export async function load() {
  try {
    return (await run("readonly", (store) => store.get(token)))?.documents ?? null;
  } catch {
    return null; // private mode or storage refused: start empty
  }
}

export function forget() {
  return run("readwrite", (store) => store.delete(token)).catch(() => {});
}
