import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import CustomFieldInput from '../src/components/CustomFieldInput.svelte';
import type { CustomFieldRecord } from '../../shared/schemas';

afterEach(() => cleanup());

const def = (fieldName: string, fieldType: CustomFieldRecord['fieldType'], options: string[] | null = null): CustomFieldRecord => ({
  id: 'f-' + fieldName,
  entityType: 'DEAL',
  fieldName,
  fieldType,
  options,
  indexed: false,
  createdAt: '2026-01-01T00:00:00.000Z',
});

describe('custom field inputs', () => {
  it("hands back values of the field's type: numbers, dates, a select option, a set of options", async () => {
    const got: unknown[] = [];
    const onchange = (v: unknown) => got.push(v);
    render(CustomFieldInput, { props: { def: def('seats', 'NUMBER'), value: 3, onchange } });
    render(CustomFieldInput, { props: { def: def('kickoff', 'DATE'), value: null, onchange } });
    render(CustomFieldInput, { props: { def: def('deal_type', 'SELECT', ['New', 'Upsell']), value: 'New', onchange } });
    render(CustomFieldInput, { props: { def: def('competitors', 'MULTI_SELECT', ['Acme', 'Globex']), value: ['Acme'], onchange } });

    const seats = screen.getByLabelText('Seats') as HTMLInputElement;
    expect(seats.type).toBe('number');
    expect(seats.value).toBe('3');
    await fireEvent.change(seats, { target: { value: '40.5' } });
    await fireEvent.change(seats, { target: { value: '' } });
    await fireEvent.change(screen.getByLabelText('Kickoff'), { target: { value: '2031-02-03' } });
    await fireEvent.change(screen.getByLabelText('Deal type'), { target: { value: 'Upsell' } });
    await fireEvent.change(screen.getByLabelText('Deal type'), { target: { value: '' } });
    expect((screen.getByLabelText('Acme') as HTMLInputElement).checked).toBe(true);
    await fireEvent.click(screen.getByLabelText('Globex'));
    expect(got).toEqual([40.5, null, '2031-02-03', 'Upsell', null, ['Acme', 'Globex']]);
  });

  it('clearing the last option of a multi-select clears the value', async () => {
    const got: unknown[] = [];
    render(CustomFieldInput, {
      props: { def: def('competitors', 'MULTI_SELECT', ['Acme', 'Globex']), value: ['Acme'], onchange: (v: unknown) => got.push(v) },
    });
    await fireEvent.click(screen.getByLabelText('Acme'));
    expect(got).toEqual([null]);
  });
});
