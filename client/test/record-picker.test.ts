import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import RecordPicker from '../src/components/RecordPicker.svelte';
import type { PickerOption } from '../src/lib/pickers';

afterEach(() => cleanup());

const people: PickerOption[] = [
  { id: 'c1', name: 'Ada Lovelace', hint: 'ada@example.test' },
  { id: 'c2', name: 'Alan Turing', hint: null },
  { id: 'c3', name: 'Grace Hopper', hint: 'grace@example.test' },
];
const byName = async (q: string) => people.filter((p) => p.name.toLowerCase().includes(q.toLowerCase()));

function setup(
  props: Partial<{ value: { id: string; name: string } | null; search: (q: string) => Promise<PickerOption[]>; disabled: boolean }> = {},
) {
  const picked: (PickerOption | null)[] = [];
  const search = vi.fn(props.search ?? byName);
  render(RecordPicker, {
    props: {
      label: 'Contact',
      value: props.value ?? null,
      search,
      onchange: (o: PickerOption | null) => picked.push(o),
      linkTo: (id: string) => '#/contacts/' + id,
      disabled: props.disabled,
    },
  });
  const input = screen.getByRole('combobox', { name: 'Contact' }) as HTMLInputElement;
  input.focus();
  return { input, picked, search };
}

describe('record picker', () => {
  it('searches after a pause in typing and picks with the arrow keys and Enter, without submitting the form', async () => {
    const { input, picked, search } = setup();
    await fireEvent.input(input, { target: { value: 'a' } });
    await fireEvent.input(input, { target: { value: 'al' } });
    await screen.findByRole('option', { name: /Alan Turing/ });
    expect(search.mock.calls).toEqual([['al']]);
    expect(input.getAttribute('aria-expanded')).toBe('true');
    // The first match is highlighted; the highlight is announced through aria-activedescendant, focus stays in the input.
    const options = screen.getAllByRole('option');
    expect(options.map((o) => o.getAttribute('aria-selected'))).toEqual(['true']);
    expect(input.getAttribute('aria-activedescendant')).toBe(options[0].id);

    await fireEvent.input(input, { target: { value: '' } });
    await waitFor(() => expect(screen.getAllByRole('option')).toHaveLength(3));
    await fireEvent.keyDown(input, { key: 'ArrowDown' });
    await fireEvent.keyDown(input, { key: 'ArrowDown' });
    await fireEvent.keyDown(input, { key: 'ArrowUp' });
    expect(input.getAttribute('aria-activedescendant')).toBe(screen.getByRole('option', { name: /Alan Turing/ }).id);
    const notPrevented = await fireEvent.keyDown(input, { key: 'Enter' });
    expect(notPrevented).toBe(false);
    expect(picked).toEqual([people[1]]);
    expect(input.value).toBe('');
    expect(input.getAttribute('aria-expanded')).toBe('false');
    expect(screen.queryAllByRole('option')).toHaveLength(0);
    // With the list closed, Enter is the form's again.
    expect(await fireEvent.keyDown(input, { key: 'Enter' })).toBe(true);
  });

  it('says so when nothing is linked', () => {
    const { input } = setup();
    expect(document.getElementById(input.getAttribute('aria-describedby')!)!.textContent).toBe('Not linked');
    expect(screen.queryByRole('button', { name: 'Clear contact link' })).toBeNull();
  });

  it('opens on ArrowDown, closes on Escape and on leaving the field, and picks with the mouse', async () => {
    const { input, picked } = setup();
    await fireEvent.keyDown(input, { key: 'ArrowDown' });
    await screen.findByRole('listbox', { name: 'Contact suggestions' });
    await fireEvent.keyDown(input, { key: 'Escape' });
    expect(screen.queryByRole('listbox')).toBeNull();
    await fireEvent.keyDown(input, { key: 'ArrowDown' });
    const grace = await screen.findByRole('option', { name: /Grace Hopper/ });
    await fireEvent.mouseDown(grace);
    await fireEvent.click(grace);
    expect(picked).toEqual([people[2]]);
    await fireEvent.keyDown(input, { key: 'ArrowDown' });
    await screen.findByRole('listbox');
    await fireEvent.blur(input);
    expect(screen.queryByRole('listbox')).toBeNull();
  });

  it('drops an answer that arrives after a newer query', async () => {
    const pending: Record<string, (r: PickerOption[]) => void> = {};
    const { input } = setup({
      search: (q) =>
        new Promise((resolve) => {
          pending[q] = resolve;
        }),
    });
    await fireEvent.input(input, { target: { value: 'gr' } });
    await waitFor(() => expect(pending.gr).toBeDefined());
    await fireEvent.input(input, { target: { value: 'ad' } });
    await waitFor(() => expect(pending.ad).toBeDefined());
    pending.ad([people[0]]);
    await screen.findByRole('option', { name: /Ada Lovelace/ });
    pending.gr([people[2]]);
    await new Promise((r) => setTimeout(r, 20));
    expect(screen.getAllByRole('option').map((o) => o.textContent)).toEqual([expect.stringContaining('Ada Lovelace')]);
  });

  it('says when nothing matches, and shows a failed search instead of an empty list', async () => {
    const { input } = setup();
    await fireEvent.input(input, { target: { value: 'zz' } });
    await screen.findByText('No contact matches “zz”');
    cleanup();
    const failing = setup({ search: () => Promise.reject(new Error('The server cannot be reached')) });
    await fireEvent.keyDown(failing.input, { key: 'ArrowDown' });
    await screen.findByText('The server cannot be reached', { selector: '.popup' });
  });

  it('shows the current link to its page and clears it, keeping focus in the field', async () => {
    const { input, picked } = setup({ value: { id: 'c1', name: 'Ada Lovelace' } });
    const link = screen.getByRole('link', { name: 'Ada Lovelace' });
    expect(link.getAttribute('href')).toBe('#/contacts/c1');
    expect(input.getAttribute('aria-describedby')).toBe(link.parentElement!.id);
    expect(input.placeholder).toBe('Change contact…');
    (screen.getByRole('button', { name: 'Clear contact link' }) as HTMLButtonElement).focus();
    await fireEvent.click(screen.getByRole('button', { name: 'Clear contact link' }));
    expect(picked).toEqual([null]);
    expect(document.activeElement).toBe(input);
  });

  it('is inert when disabled', () => {
    setup({ value: { id: 'c1', name: 'Ada Lovelace' }, disabled: true });
    expect((screen.getByRole('combobox', { name: 'Contact' }) as HTMLInputElement).disabled).toBe(true);
    expect((screen.getByRole('button', { name: 'Clear contact link' }) as HTMLButtonElement).disabled).toBe(true);
  });
});
