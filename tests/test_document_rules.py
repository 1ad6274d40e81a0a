"""The documents library's pure rules: categories with reasons, chunking, query terms, fusion."""

from agent.documents import chunk_page, fuse, infer_category, query_terms, snippet


def test_category_from_the_name_outranks_the_text_and_says_why() -> None:
    found = infer_category("invoice-ORD-1.pdf", "Engagement letter for the appraisal", "upload",
                           False)
    assert (found.name, found.reason) == ("invoice", "file name says 'invoice'")
    found = infer_category("scan001.pdf", "Fee Schedule 2026\nFull appraisal $450", "upload", False)
    assert (found.name, found.reason) == ("sop", "text says 'fee schedule'")


def test_category_falls_back_to_where_the_file_came_from() -> None:
    assert infer_category("IMG_2031.pdf", "hello", "attachment", False).name == "email_attachment"
    assert infer_category("notes.docx", "hello", "order_document", True).name == "client_document"
    assert infer_category("notes.docx", "hello", "upload", False).name == "other"


def test_chunks_overlap_cover_the_page_and_point_into_it() -> None:
    text = " ".join(f"word{i}" for i in range(600))
    chunks = chunk_page(3, text, size=200, overlap=50)
    assert all(c.page == 3 and text[c.start:c.start + len(c.body)] == c.body for c in chunks)
    assert all(len(c.body) <= 200 for c in chunks)
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert after.start < before.start + len(before.body)  # they overlap
        assert not before.body.endswith("word") and not after.body[0].isdigit()  # whole words
    assert chunks[-1].body.endswith("word599")
    assert chunk_page(1, "   \n ") == []


def test_query_terms_drop_stop_words_and_repeats() -> None:
    assert query_terms("What is the fee for a rush appraisal? Rush!") == ["fee", "rush",
                                                                           "appraisal"]
    assert query_terms("what is it") == ["what", "is", "it"]


def test_fusion_puts_a_chunk_high_in_both_rankings_first() -> None:
    assert fuse([1, 2, 3], [3, 4, 1])[:2] == [1, 3]
    assert fuse([], [5, 6]) == [5, 6]


def test_snippet_centres_on_the_first_term() -> None:
    body = "Intro text. " * 40 + "Rush orders cost an extra $150 and deliver in 48 hours."
    start, text = snippet(body, ["rush"], width=80)
    assert "Rush orders cost" in text and body[start:].startswith(text.split()[0])
