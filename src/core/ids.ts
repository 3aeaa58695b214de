/** What a campaign id and a campaign group's name may look like, for every door and file that takes them. */
export const CAMPAIGN_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const GROUP_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const CHANNEL_ID_PATTERN = /^[CGD][A-Z0-9]{2,}$/;
export const USER_ID_PATTERN = /^[UW][A-Z0-9]{2,}$/;
