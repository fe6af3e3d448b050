CREATE TABLE `expiry_actions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`chain_id` integer NOT NULL,
	`series_id` text NOT NULL,
	`kind` text NOT NULL,
	`target` text NOT NULL,
	`block_number` integer NOT NULL,
	`status` text NOT NULL,
	`reason` text,
	`intent_id` text NOT NULL,
	`tx_hash` text,
	`mined_block` integer,
	`decided_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `expiry_actions_series` ON `expiry_actions` (`series_id`,`id`);--> statement-breakpoint
CREATE INDEX `expiry_actions_intent` ON `expiry_actions` (`intent_id`);--> statement-breakpoint
CREATE TABLE `expiry_holders` (
	`series_id` text NOT NULL,
	`holder` text NOT NULL,
	`first_block` integer NOT NULL,
	PRIMARY KEY(`series_id`, `holder`)
);
--> statement-breakpoint
CREATE TABLE `expiry_series` (
	`series_id` text PRIMARY KEY NOT NULL,
	`pool_id` text NOT NULL,
	`expiry` integer NOT NULL,
	`is_call` integer NOT NULL,
	`strike_wad` text NOT NULL,
	`created_block` integer NOT NULL,
	`done` integer DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE `expiry_vaults` (
	`vault_id` text PRIMARY KEY NOT NULL,
	`series_id` text NOT NULL,
	`owner` text NOT NULL,
	`opened_block` integer NOT NULL,
	`settled` integer DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE INDEX `expiry_vaults_series` ON `expiry_vaults` (`series_id`,`settled`);