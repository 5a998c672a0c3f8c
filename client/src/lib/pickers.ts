import { api } from './api';
import { names } from './names.svelte';

/** One choice in a RecordPicker: the record id, what to call it, and a detail that tells namesakes apart. */
export interface PickerOption {
  id: string;
  name: string;
  hint?: string | null;
}

const LIMIT = 8;

/** Visible contacts whose name, email or phone contains `q` (the list endpoint's own search), A–Z. */
export async function searchContacts(q: string): Promise<PickerOption[]> {
  const page = await api.contacts({ q, limit: LIMIT, sort: 'name', order: 'asc' });
  return page.items.map((c) => {
    const name = `${c.firstName} ${c.lastName}`.trim();
    // Remembered so the picked record is shown by name without another request.
    names.setContact(c.id, name);
    return { id: c.id, name, hint: c.email ?? c.jobTitle };
  });
}

/** Visible companies whose name contains `q` or whose domain starts with it, A–Z. */
export async function searchCompanies(q: string): Promise<PickerOption[]> {
  const page = await api.companies({ q, limit: LIMIT, sort: 'name', order: 'asc' });
  return page.items.map((c) => {
    names.setCompany(c.id, c.name);
    return { id: c.id, name: c.name, hint: c.domain ?? c.industry };
  });
}
