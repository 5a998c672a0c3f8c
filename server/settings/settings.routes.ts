import type { Router } from 'express';
import { route } from '../http/route.js';
import { TenantSettings, TenantSettingsPatch } from '../../shared/schemas.js';
import type { SettingsService } from './settings.service.js';

export function settingsRoutes(r: Router, settings: SettingsService) {
  route(
    r,
    {
      method: 'get',
      path: '/settings',
      summary: 'Workspace settings (time zone, default phone region, default currency)',
      tag: 'settings',
      response: TenantSettings,
    },
    ({ viewer }) => settings.get(viewer),
  );
  route(
    r,
    {
      method: 'patch',
      path: '/settings',
      summary: 'Change workspace settings (ADMIN); each change is a settings.updated fact',
      tag: 'settings',
      body: TenantSettingsPatch,
      response: TenantSettings,
    },
    ({ viewer, body }) => settings.patch(viewer, body),
  );
}
