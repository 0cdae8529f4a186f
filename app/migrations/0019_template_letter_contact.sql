-- Each letter template chooses one of its service's letter contact blocks,
-- or none (Notify's "Blank"), and each version of it keeps its choice, as
-- Notify's templates and their history do (issue 24).
ALTER TABLE templates ADD COLUMN letter_contact_id TEXT;
ALTER TABLE template_versions ADD COLUMN letter_contact_id TEXT;
-- Letter templates made before printed the service's default contact
-- block: they keep it, in every version.
UPDATE templates SET letter_contact_id = (
    SELECT s.id FROM service_senders s
    WHERE s.service_id = templates.service_id AND s.kind = 'letter_contact' AND s.is_default = 1 AND s.archived = 0)
WHERE template_type = 'letter' AND hidden = 0;
UPDATE template_versions SET letter_contact_id = (
    SELECT t.letter_contact_id FROM templates t WHERE t.id = template_versions.template_id)
WHERE template_type = 'letter';
