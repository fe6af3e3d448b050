CREATE TABLE `apy_decisions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`chain_id` integer NOT NULL,
	`pool_id` text NOT NULL,
	`decided_at` integer NOT NULL,
	`block_timestamp` integer NOT NULL,
	`block_number` integer NOT NULL,
	`total_staked` text NOT NULL,
	`target_stake` text,
	`utilization` real,
	`current_apy` text,
	`target_apy` text,
	`old_rate` text NOT NULL,
	`desired_rate` text,
	`clamped_rate` text,
	`max_affordable_rate` text,
	`new_rate` text,
	`action` text NOT NULL,
	`skip_reason` text,
	`reason` text NOT NULL,
	`intent_id` text,
	`tx_hash` text,
	`tx_status` text,
	`tx_note` text
);
--> statement-breakpoint
CREATE INDEX `apy_decisions_pool` ON `apy_decisions` (`chain_id`,`pool_id`,`id`);--> statement-breakpoint
CREATE INDEX `apy_decisions_action` ON `apy_decisions` (`action`,`id`);