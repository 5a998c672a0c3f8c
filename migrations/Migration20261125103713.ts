import { Migration } from '@mikro-orm/migrations';

export class Migration20261125103713 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "tenants" ("id" uuid not null, "name" varchar(200) not null, "event_seq" bigint not null default 0, "created_at" timestamptz(3) not null default now(), constraint "tenants_pkey" primary key ("id"));`,
    );

    this.addSql(
      `create table "pipelines" ("id" uuid not null, "tenant_id" uuid not null, "name" varchar(200) not null, "created_at" timestamptz(3) not null default now(), constraint "pipelines_pkey" primary key ("id"));`,
    );

    this.addSql(
      `create table "stages" ("id" uuid not null, "tenant_id" uuid not null, "pipeline_id" uuid not null, "name" varchar(100) not null, "order_index" int not null, "win_probability" smallint not null, "outcome" text check ("outcome" in ('OPEN', 'WON', 'LOST')) not null default 'OPEN', constraint "stages_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "stages_pipeline_order_idx" on "stages" ("pipeline_id", "order_index");`);

    this.addSql(
      `create table "outbox_events" ("tenant_id" uuid not null, "seq" bigint not null, "type" varchar(64) not null, "entity_type" varchar(32) not null, "entity_id" uuid not null, "payload" jsonb not null, "audience" uuid[] not null, "created_at" timestamptz(3) not null default now(), "published_at" timestamptz(3) null, constraint "outbox_events_pkey" primary key ("tenant_id", "seq"));`,
    );
    this.addSql(`create index "outbox_unpublished_idx" on "outbox_events" ("tenant_id", "seq") where "published_at" is null;`);
    this.addSql(`create index "outbox_created_idx" on "outbox_events" ("created_at");`);

    this.addSql(
      `create table "custom_fields" ("id" uuid not null, "tenant_id" uuid not null, "entity_type" text check ("entity_type" in ('CONTACT', 'DEAL', 'COMPANY')) not null, "field_name" varchar(63) not null, "field_type" text check ("field_type" in ('TEXT', 'NUMBER', 'DATE', 'SELECT', 'MULTI_SELECT')) not null, "options" jsonb null, "indexed" boolean not null default false, "created_at" timestamptz(3) not null default now(), constraint "custom_fields_pkey" primary key ("id"));`,
    );
    this.addSql(
      `alter table "custom_fields" add constraint "custom_fields_tenant_entity_name_uniq" unique ("tenant_id", "entity_type", "field_name");`,
    );

    this.addSql(
      `create table "users" ("id" uuid not null, "tenant_id" uuid not null, "name" varchar(200) not null, "email" varchar(320) not null, "password_hash" varchar(255) not null, "role" text check ("role" in ('ADMIN', 'MANAGER', 'REP')) not null, "manager_id" uuid null, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), constraint "users_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "users_manager_idx" on "users" ("manager_id");`);
    this.addSql(`create unique index "users_tenant_email_uniq" on "users" ("tenant_id", lower("email"));`);
    this.addSql(`create index "users_email_lower_idx" on "users" (lower("email"));`);

    this.addSql(
      `create table "sessions" ("id" uuid not null, "token_hash" varchar(64) not null, "user_id" uuid not null, "tenant_id" uuid not null, "created_at" timestamptz(3) not null default now(), "expires_at" timestamptz(3) not null, constraint "sessions_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "sessions" add constraint "sessions_token_hash_unique" unique ("token_hash");`);

    this.addSql(
      `create table "companies" ("id" uuid not null, "tenant_id" uuid not null, "name" varchar(200) not null, "domain" varchar(253) null, "industry" varchar(100) null, "size" varchar(50) null, "website" varchar(2048) null, "owner_id" uuid not null, "custom_data" jsonb not null default '{}', "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), constraint "companies_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "companies_tenant_owner_idx" on "companies" ("tenant_id", "owner_id");`);
    this.addSql(`create index "companies_tenant_name_idx" on "companies" ("tenant_id", lower("name"), "id");`);

    this.addSql(
      `create table "contacts" ("id" uuid not null, "tenant_id" uuid not null, "first_name" varchar(100) not null, "last_name" varchar(100) not null, "email" varchar(320) null, "phone" varchar(50) null, "company_id" uuid null, "job_title" varchar(200) null, "source" text check ("source" in ('INBOUND', 'OUTBOUND', 'REFERRAL')) null, "owner_id" uuid not null, "tags" text[] not null default '{}', "custom_data" jsonb not null default '{}', "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), constraint "contacts_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "contacts_tenant_owner_idx" on "contacts" ("tenant_id", "owner_id");`);
    this.addSql(`create index "contacts_company_idx" on "contacts" ("company_id");`);
    this.addSql(`create unique index "contacts_tenant_email_uniq" on "contacts" ("tenant_id", lower("email")) where "email" is not null;`);
    this.addSql(`create index "contacts_tenant_created_idx" on "contacts" ("tenant_id", "created_at" desc, "id" desc);`);

    this.addSql(
      `create table "deals" ("id" uuid not null, "tenant_id" uuid not null, "name" varchar(200) not null, "contact_id" uuid null, "company_id" uuid null, "owner_id" uuid not null, "pipeline_id" uuid not null, "stage_id" uuid not null, "amount" numeric(18,2) not null default '0', "currency" char(3) not null default 'USD', "close_date" date null, "status" text check ("status" in ('OPEN', 'WON', 'LOST')) not null default 'OPEN', "custom_data" jsonb not null default '{}', "note_text" text null, "version" int not null default 1, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "closed_at" timestamptz(3) null, constraint "deals_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "deals_tenant_owner_status_stage_idx" on "deals" ("tenant_id", "owner_id", "status", "stage_id");`);
    this.addSql(`create index "deals_pipeline_stage_idx" on "deals" ("pipeline_id", "stage_id");`);
    this.addSql(`create index "deals_contact_idx" on "deals" ("contact_id");`);
    this.addSql(`create index "deals_company_idx" on "deals" ("company_id");`);

    this.addSql(
      `create table "deal_stage_history" ("id" uuid not null, "tenant_id" uuid not null, "deal_id" uuid not null, "from_stage_id" uuid null, "to_stage_id" uuid not null, "changed_by_id" uuid not null, "changed_at" timestamptz(3) not null default now(), constraint "deal_stage_history_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "deal_stage_history_deal_idx" on "deal_stage_history" ("deal_id", "changed_at");`);

    this.addSql(
      `create table "contact_shares" ("contact_id" uuid not null, "user_id" uuid not null, "tenant_id" uuid not null, "permission" text check ("permission" in ('READ', 'WRITE')) not null, "created_at" timestamptz(3) not null default now(), constraint "contact_shares_pkey" primary key ("contact_id", "user_id"));`,
    );
    this.addSql(`create index "contact_shares_user_idx" on "contact_shares" ("user_id");`);

    this.addSql(
      `create table "activities" ("id" uuid not null, "tenant_id" uuid not null, "type" text check ("type" in ('EMAIL', 'CALL', 'MEETING', 'NOTE', 'TASK')) not null, "contact_id" uuid null, "deal_id" uuid null, "user_id" uuid not null, "subject" varchar(300) null, "body" text null, "scheduled_at" timestamptz(3) null, "completed_at" timestamptz(3) null, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), constraint "activities_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "activities_contact_timeline_idx" on "activities" ("contact_id", "created_at" desc, "id" desc);`);
    this.addSql(`create index "activities_deal_timeline_idx" on "activities" ("deal_id", "created_at" desc, "id" desc);`);
    this.addSql(
      `create index "activities_open_tasks_idx" on "activities" ("user_id", "scheduled_at") where "type" = 'TASK' and "completed_at" is null;`,
    );
    this.addSql(`create index "activities_tenant_created_idx" on "activities" ("tenant_id", "created_at" desc, "id" desc);`);

    this.addSql(
      `alter table "pipelines" add constraint "pipelines_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "stages" add constraint "stages_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "stages" add constraint "stages_pipeline_id_foreign" foreign key ("pipeline_id") references "pipelines" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "outbox_events" add constraint "outbox_events_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "custom_fields" add constraint "custom_fields_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "users" add constraint "users_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "users" add constraint "users_manager_id_foreign" foreign key ("manager_id") references "users" ("id") on update cascade on delete set null;`,
    );

    this.addSql(
      `alter table "sessions" add constraint "sessions_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "sessions" add constraint "sessions_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "companies" add constraint "companies_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "companies" add constraint "companies_owner_id_foreign" foreign key ("owner_id") references "users" ("id") on update cascade on delete restrict;`,
    );

    this.addSql(
      `alter table "contacts" add constraint "contacts_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "contacts" add constraint "contacts_company_id_foreign" foreign key ("company_id") references "companies" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "contacts" add constraint "contacts_owner_id_foreign" foreign key ("owner_id") references "users" ("id") on update cascade on delete restrict;`,
    );

    this.addSql(
      `alter table "deals" add constraint "deals_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "deals" add constraint "deals_contact_id_foreign" foreign key ("contact_id") references "contacts" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "deals" add constraint "deals_company_id_foreign" foreign key ("company_id") references "companies" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "deals" add constraint "deals_owner_id_foreign" foreign key ("owner_id") references "users" ("id") on update cascade on delete restrict;`,
    );
    this.addSql(
      `alter table "deals" add constraint "deals_pipeline_id_foreign" foreign key ("pipeline_id") references "pipelines" ("id") on update cascade on delete restrict;`,
    );
    this.addSql(
      `alter table "deals" add constraint "deals_stage_id_foreign" foreign key ("stage_id") references "stages" ("id") on update cascade on delete restrict;`,
    );

    this.addSql(
      `alter table "deal_stage_history" add constraint "deal_stage_history_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "deal_stage_history" add constraint "deal_stage_history_deal_id_foreign" foreign key ("deal_id") references "deals" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "deal_stage_history" add constraint "deal_stage_history_from_stage_id_foreign" foreign key ("from_stage_id") references "stages" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "deal_stage_history" add constraint "deal_stage_history_to_stage_id_foreign" foreign key ("to_stage_id") references "stages" ("id") on update cascade on delete restrict;`,
    );
    this.addSql(
      `alter table "deal_stage_history" add constraint "deal_stage_history_changed_by_id_foreign" foreign key ("changed_by_id") references "users" ("id") on update cascade on delete restrict;`,
    );

    this.addSql(
      `alter table "contact_shares" add constraint "contact_shares_contact_id_foreign" foreign key ("contact_id") references "contacts" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "contact_shares" add constraint "contact_shares_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "contact_shares" add constraint "contact_shares_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "activities" add constraint "activities_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "activities" add constraint "activities_contact_id_foreign" foreign key ("contact_id") references "contacts" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "activities" add constraint "activities_deal_id_foreign" foreign key ("deal_id") references "deals" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "activities" add constraint "activities_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete restrict;`,
    );
  }
}
