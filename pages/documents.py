"""Documents (/van-ban): the register of documents and the tasks each assigns; the office adds and
edits documents and assigns tasks from here."""

import pandas as pd
import streamlit as st

from lib.core.catalogue import DOCUMENT, TASK
from lib.core.filters import PARAM_AS_OF, PARAM_ASSIGNING, Filters, parse_as_of
from lib.core.formatting import fmt_date, fmt_int
from lib.core.roles import OFFICE
from lib.ui import attachments, columns, documents, shell, widgets
from lib.ui.loaders import load_documents, load_task_count, load_task_page, tasks_version

LISTED = ("number", "issued_on", "kind", "issuer", "title", "tasks")
TASK_COLUMNS = ("id", "title", "lead_agency", "locality", "current_deadline", "state", "bucket")
TASKS_SHOWN = 200

ctx = shell.context()
actor = ctx.actor
as_of, warning = parse_as_of(st.query_params.get_all(PARAM_AS_OF), ctx.today)
if warning:
    st.warning(warning, icon="⚠️")
docs = load_documents(ctx.database_url, ctx.data_version)

st.title("Văn bản")
st.caption(
    "Các văn bản của chương trình — đề án, kế hoạch, công văn, kết luận… — và những nhiệm vụ mỗi văn bản "
    "giao. Chọn một văn bản để xem nhiệm vụ của nó."
)
st.dataframe(
    pd.DataFrame([{**d, "kind": DOCUMENT.shown("kind", d["kind"])} for d in docs], columns=list(LISTED)),
    hide_index=True,
    column_order=LISTED,
    column_config=columns.column_config(DOCUMENT, LISTED),
    key="docs_table",
)

doc = documents.pick_document(docs)
if doc is not None:
    st.subheader(f"{DOCUMENT.shown('kind', doc['kind'])} số {doc['number']}")
    st.markdown(doc["title"])
    st.caption(
        f"{doc['issuer']} · {DOCUMENT['issued_on'].label.lower()} {fmt_date(doc['issued_on']) or 'chưa ghi'}"
        + (f" · cập nhật bởi {doc['updated_by']}" if doc["updated_by"] else "")
    )
    view = Filters(assigning=(doc["code"],))
    due_days = ctx.settings.due_soon_days
    read = tasks_version(ctx.database_url, ctx.versions, view)
    total = load_task_count(ctx.database_url, read, view, as_of, due_days)
    widgets.as_of_caption(as_of)
    if total:
        rows = load_task_page(ctx.database_url, read, view, as_of, due_days, 1, TASKS_SHOWN)
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        **r,
                        "state": TASK.shown("state", r["state"]),
                        "bucket": TASK.shown("bucket", r["bucket"]),
                    }
                    for r in rows
                ],
                columns=list(TASK_COLUMNS),
            ),
            hide_index=True,
            column_order=TASK_COLUMNS,
            column_config=columns.column_config(TASK, TASK_COLUMNS),
            key="docs_tasks",
        )
        if total > TASKS_SHOWN:
            st.caption(f"Hiển thị {fmt_int(TASKS_SHOWN)} nhiệm vụ đầu (quá hạn trước).")
        st.page_link(
            "pages/tasks.py",
            label=f"Mở {fmt_int(total)} nhiệm vụ của văn bản này trên trang Nhiệm vụ",
            icon=":material/checklist:",
            query_params={PARAM_ASSIGNING: doc["code"]},
        )
    else:
        st.info("Văn bản này chưa giao nhiệm vụ nào.")
    with st.expander(
        "Tệp văn bản (bản scan, bản ký số)", icon=":material/attach_file:", key="docs_files_open"
    ):
        attachments.panel(ctx, "document", doc["id"])  # issue 17

if actor.role in OFFICE:
    st.divider()
    give, edit, add = st.tabs(
        ["Giao nhiệm vụ", "Sửa văn bản", "Thêm văn bản"], key="docs_tab", on_change="rerun"
    )
    with give:
        if doc is None:
            st.info("Thêm văn bản trước, rồi giao nhiệm vụ theo văn bản đó.")
        else:
            documents.assign_panel(ctx, doc)
    with edit:
        if doc is not None:
            documents.document_form(ctx, doc)
    with add:
        documents.document_form(ctx, None)
